from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.lib.text import digits_only, family_tail, normalize_search
from mesocare.patients.choices import (
    AllergySeverity,
    AllergyStatus,
    Channel,
    ChildbearingPotential,
    ChildbearingReason,
    ConditionCode,
    ConsentKind,
    DrugClass,
    Language,
    PhotoUse,
    PregnancyStatus,
    SexAtBirth,
)


class Patient(OrgOwned):
    given_name = models.CharField(_("given name"), max_length=100)
    family_name = models.CharField(_("family name"), max_length=100)
    given_norm = models.CharField(max_length=100, editable=False)
    family_norm = models.CharField(max_length=100, editable=False)
    # The family name from its second word on ("de luca" → "luca", "muller brandt" → "brandt"),
    # so a prefix search also finds the second part of a compound name, still by index.
    family_tail = models.CharField(max_length=100, editable=False, blank=True)
    birth_date = models.DateField(_("birth date"), db_index=True)
    sex_at_birth = models.CharField(_("sex at birth"), max_length=10, choices=SexAtBirth.choices)
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    phone_digits = models.CharField(max_length=40, blank=True, editable=False)
    preferred_channel = models.CharField(
        _("preferred channel"), max_length=8, choices=Channel.choices, default=Channel.EMAIL
    )
    language = models.CharField(
        _("language of messages"),
        max_length=8,
        choices=Language.choices,
        blank=True,
        help_text=_("Empty: the clinic's language."),
    )
    address = models.TextField(_("address"), blank=True)
    tax_code = models.CharField(
        _("tax code"),
        max_length=16,
        blank=True,
        validators=[
            RegexValidator(
                r"^[A-Z0-9]{11,16}$",
                _("A tax code is 11 to 16 capital letters and digits (e.g. a codice fiscale)."),
            )
        ],
        help_text=_("The patient's tax identification number, printed on invoices."),
    )
    pregnancy_status = models.CharField(
        _("pregnancy status"), max_length=16, choices=PregnancyStatus.choices, blank=True
    )
    pregnancy_status_on = models.DateField(_("pregnancy status recorded on"), null=True, blank=True)
    breastfeeding = models.BooleanField(_("breastfeeding"), null=True, blank=True)
    breastfeeding_on = models.DateField(_("breastfeeding recorded on"), null=True, blank=True)
    # Teratogen screen (5-alpha-reductase inhibitors): blank = not recorded.
    childbearing_potential = models.CharField(
        _("childbearing potential"), max_length=8, choices=ChildbearingPotential.choices, blank=True
    )
    childbearing_potential_reason = models.CharField(
        _("reason no childbearing potential"),
        max_length=16,
        choices=ChildbearingReason.choices,
        blank=True,
    )
    reliable_contraception = models.BooleanField(_("reliable contraception"), null=True, blank=True)
    reliable_contraception_on = models.DateField(
        _("reliable contraception recorded on"), null=True, blank=True
    )
    # "No known allergies" is an answer recorded by someone at some time, never a default.
    allergy_status = models.CharField(
        _("allergy status"),
        max_length=20,
        choices=AllergyStatus.choices,
        default=AllergyStatus.UNKNOWN,
    )
    allergy_status_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("allergy status recorded by"),
    )
    allergy_status_at = models.DateTimeField(_("allergy status recorded at"), null=True, blank=True)
    allergy_status_patient_reported = models.BooleanField(
        _("allergy status reported by the patient"), default=False
    )
    notes = models.TextField(_("notes"), blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["family_norm", "given_norm", "id"]
        indexes = [
            models.Index(fields=["organization", "family_norm"], name="patient_org_family"),
            models.Index(fields=["organization", "given_norm"], name="patient_org_given"),
            models.Index(fields=["organization", "family_tail"], name="patient_org_family_tail"),
            models.Index(fields=["organization", "phone_digits"], name="patient_org_phone"),
            # The dashboard's count of active patients (an index-only count) and its "recently
            # registered" list (read in index order) without visiting every patient.
            models.Index(
                fields=["organization", "-created_at", "-id"],
                condition=models.Q(is_active=True),
                name="patient_org_recent_active",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def clean(self) -> None:
        # A reason explains a "no"; kept with any other answer it would mislead the reader.
        if self.childbearing_potential_reason and self.childbearing_potential != "no":
            raise ValidationError(
                {
                    "childbearing_potential_reason": _(
                        "Give a reason only when childbearing potential is no."
                    )
                }
            )

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.given_norm = normalize_search(self.given_name)
        self.family_norm = normalize_search(self.family_name)
        self.family_tail = family_tail(self.family_norm)
        self.phone_digits = digits_only(self.phone)
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.birth_date.year
        if (day.month, day.day) < (self.birth_date.month, self.birth_date.day):
            years -= 1
        return years


class PatientRecord(OrgOwned):
    """A fact recorded on a patient's chart: who recorded it and when."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Weight(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="weights")
    kg = models.DecimalField(
        _("weight (kg)"), max_digits=5, decimal_places=1, validators=[MinValueValidator(1)]
    )
    measured_on = models.DateField(_("measured on"))

    class Meta:
        ordering = ["-measured_on", "-id"]

    def __str__(self) -> str:
        return f"{self.kg} kg on {self.measured_on}"


class Allergy(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="allergies")
    substance = models.CharField(_("substance"), max_length=200)
    ingredient = models.ForeignKey(
        "catalog.Ingredient", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    allergen_family = models.ForeignKey(
        "catalog.AllergenFamily", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    reaction = models.CharField(_("reaction"), max_length=200, blank=True)
    severity = models.CharField(
        _("severity"),
        max_length=12,
        choices=AllergySeverity.choices,
        default=AllergySeverity.UNKNOWN,
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["substance", "id"]
        verbose_name_plural = _("allergies")

    def __str__(self) -> str:
        return self.substance


class Medication(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="medications")
    name = models.CharField(_("name"), max_length=200)
    drug_class = models.CharField(_("class"), max_length=40, choices=DrugClass.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class Condition(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="conditions")
    code = models.CharField(_("condition"), max_length=32, choices=ConditionCode.choices)
    body_area = models.CharField(_("body area"), max_length=64, blank=True)
    note = models.CharField(_("note"), max_length=255, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code", "id"]

    def __str__(self) -> str:
        return self.get_code_display()


class Consent(PatientRecord):
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("kind"), max_length=12, choices=ConsentKind.choices)
    version = models.CharField(_("version"), max_length=32)
    signed_on = models.DateField(_("signed on"))
    indication = models.CharField(_("indication"), max_length=64, blank=True)
    photo_use = models.CharField(
        _("photo use"), max_length=32, choices=PhotoUse.choices, default=PhotoUse.CLINICAL
    )
    signed_by = models.CharField(_("signed by"), max_length=200, blank=True)
    signature = models.TextField(_("signature"), blank=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)

    class Meta:
        ordering = ["-signed_on", "-id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version} ({self.signed_on})"

    def clean(self) -> None:
        # One meaning (docs/clinical-sources.md, "Photo consent"): the use of photos is the
        # answer of a photography consent; any other consent leaves photos clinical-only.
        if self.kind != ConsentKind.PHOTO and self.photo_use != PhotoUse.CLINICAL:
            raise ValidationError(
                {"photo_use": _("Photo use beyond clinical records needs a photography consent.")}
            )
