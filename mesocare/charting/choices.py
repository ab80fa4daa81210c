from django.db import models
from django.utils.translation import gettext_lazy as _


class NeedleKind(models.TextChoices):
    NEEDLE = "needle", _("Needle")
    CANNULA = "cannula", _("Cannula")


class SideEffectKind(models.TextChoices):
    BRUISING = "bruising", _("Bruising")
    ERYTHEMA = "erythema", _("Erythema")
    SWELLING = "swelling", _("Swelling")
    PAIN = "pain", _("Pain")
    NODULE = "nodule", _("Nodule")
    VASOVAGAL = "vasovagal", _("Vasovagal reaction")
    ALLERGIC_REACTION = "allergic_reaction", _("Allergic reaction")
    INFECTION_SIGN = "infection_sign", _("Sign of infection")
    NECROSIS = "necrosis", _("Necrosis")


class Grade(models.IntegerChoices):
    """CTCAE-style grades (NCI CTCAE v5.0 general wording)."""

    MILD = 1, _("1 — Mild: asymptomatic or mild symptoms; observation only")
    MODERATE = 2, _("2 — Moderate: minimal, local or non-invasive intervention indicated")
    SEVERE = 3, _("3 — Severe or medically significant, not immediately life-threatening")
    LIFE_THREATENING = 4, _("4 — Life-threatening consequences; urgent intervention indicated")
    DEATH = 5, _("5 — Death related to the adverse event")


class SideEffectSource(models.TextChoices):
    STAFF = "staff", _("Observed by staff")
    PATIENT = "patient", _("Reported by the patient")
