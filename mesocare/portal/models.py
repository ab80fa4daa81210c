"""What patients answer through signed portal links."""

from __future__ import annotations

from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.portal.choices import CheckInWhen, Level


class PreCareConfirmation(OrgOwned):
    """The pre-care items of one appointment, and which the patient ticked."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    appointment_ref = models.PositiveBigIntegerField(db_index=True)
    instruction_set = models.CharField(max_length=64)
    items_offered = models.JSONField(default=list)
    items_confirmed = models.JSONField(default=list)
    confirmed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-confirmed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "appointment_ref"], name="precare_one_per_appointment"
            )
        ]

    def __str__(self) -> str:
        return f"pre-care of appointment {self.appointment_ref}"


class CheckInResponse(OrgOwned):
    """A patient's side-effect check-in after a session, as answered, with its grading."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    session_ref = models.PositiveBigIntegerField(db_index=True)
    when = models.CharField(max_length=4, choices=CheckInWhen.choices)
    pain_vas = models.DecimalField(
        _("pain (0–10)"),
        max_digits=3,
        decimal_places=1,
        validators=[MinValueValidator(Decimal(0)), MaxValueValidator(Decimal(10))],
    )
    bruising = models.CharField(max_length=10, choices=Level.choices, default=Level.NONE)
    swelling = models.CharField(max_length=10, choices=Level.choices, default=Level.NONE)
    redness = models.CharField(max_length=10, choices=Level.choices, default=Level.NONE)
    warmth = models.BooleanField(default=False)
    nodules = models.BooleanField(default=False)
    fever = models.BooleanField(default=False)
    discharge = models.BooleanField(default=False)
    skin_colour_change = models.BooleanField(default=False)
    notes = models.TextField(blank=True)
    photo = models.ForeignKey(
        "outcomes.Photo", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    findings = models.JSONField(default=list, encoder=DjangoJSONEncoder)
    max_grade = models.PositiveSmallIntegerField(default=0)
    alert = models.ForeignKey(
        "notify.Alert", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "session_ref", "when"], name="checkin_once_per_link"
            )
        ]

    def __str__(self) -> str:
        return f"check-in {self.when} of session {self.session_ref}"
