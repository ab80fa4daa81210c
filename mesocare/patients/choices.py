from django.db import models
from django.utils.translation import gettext_lazy as _


class SexAtBirth(models.TextChoices):
    FEMALE = "female", _("Female")
    MALE = "male", _("Male")
    INTERSEX = "intersex", _("Intersex")
    UNKNOWN = "unknown", _("Unknown")


class Channel(models.TextChoices):
    EMAIL = "email", _("Email")
    SMS = "sms", _("SMS")
    NONE = "none", _("No messages")


class PregnancyStatus(models.TextChoices):
    PREGNANT = "pregnant", _("Pregnant")
    NOT_PREGNANT = "not_pregnant", _("Not pregnant")
    UNKNOWN = "unknown", _("Unknown")


class ChildbearingPotential(models.TextChoices):
    YES = "yes", _("Yes")
    NO = "no", _("No")
    UNKNOWN = "unknown", _("Unknown")


class ChildbearingReason(models.TextChoices):
    POSTMENOPAUSAL = "postmenopausal", _("Postmenopausal")
    HYSTERECTOMY = "hysterectomy", _("Hysterectomy")
    OTHER = "other", _("Other")


class AllergyStatus(models.TextChoices):
    """Whether the allergy history was taken: "not asked" is not "none known"."""

    UNKNOWN = "unknown", _("Not asked")
    NO_KNOWN_ALLERGIES = "no_known_allergies", _("No known allergies")
    HAS_ALLERGIES = "has_allergies", _("Has allergies")


class AllergySeverity(models.TextChoices):
    MILD = "mild", _("Mild")
    MODERATE = "moderate", _("Moderate")
    SEVERE = "severe", _("Severe")
    ANAPHYLAXIS = "anaphylaxis", _("Anaphylaxis")
    UNKNOWN = "unknown", _("Unknown")


class DrugClass(models.TextChoices):
    ANTICOAGULANT = "anticoagulant", _("Anticoagulant")
    ANTIPLATELET = "antiplatelet", _("Antiplatelet")
    ISOTRETINOIN = "isotretinoin", _("Isotretinoin")
    IMMUNOSUPPRESSANT = "immunosuppressant", _("Immunosuppressant")
    COMBINED_HORMONAL_CONTRACEPTIVE = (
        "combined_hormonal_contraceptive",
        _("Combined hormonal contraceptive"),
    )
    OTHER = "other", _("Other")


class ConditionCode(models.TextChoices):
    KELOID_SCARRING = "keloid_scarring", _("Keloid scarring")
    AUTOIMMUNE_DISEASE = "autoimmune_disease", _("Autoimmune disease")
    DIABETES = "diabetes", _("Diabetes")
    ACTIVE_SKIN_INFECTION = "active_skin_infection", _("Active skin infection")
    CANCER_UNDER_TREATMENT = "cancer_under_treatment", _("Cancer under treatment")
    BLEEDING_DISORDER = "bleeding_disorder", _("Bleeding disorder")
    THROMBOEMBOLIC_HISTORY = "thromboembolic_history", _("Thromboembolic history")


class ConsentKind(models.TextChoices):
    GENERAL = "general", _("General")
    TREATMENT = "treatment", _("Treatment")
    PHOTO = "photo", _("Photography")
    GUARDIAN = "guardian", _("Guardian")


class PhotoUse(models.TextChoices):
    CLINICAL = "clinical", _("Clinical records only")
    CLINICAL_AND_MARKETING = "clinical_and_marketing", _("Clinical, teaching and marketing")


class Language(models.TextChoices):
    """The languages messages are written in (the site's `LANGUAGES`); empty: the clinic's."""

    ENGLISH = "en", "English"
    ITALIAN = "it", "Italiano"
