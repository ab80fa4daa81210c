"""What patients answer through signed portal links."""

from __future__ import annotations

from decimal import Decimal

from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.portal.choices import AccessRelation, CheckInWhen, Level


class PreCareConfirmation(OrgOwned):
    """The pre-care items of one appointment and the patient's answer to each: done, or "I
    could not follow this" with an optional note (`answers`). `items_confirmed` lists the
    codes answered done."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    # Empty only on rows whose appointment was already missing when this link became a key
    # (migration 0004 printed them); every new row has one.
    appointment = models.ForeignKey(
        "scheduling.Appointment",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="precare_confirmations",
    )
    instruction_set = models.CharField(max_length=64)
    items_offered = models.JSONField(default=list)
    items_confirmed = models.JSONField(default=list)
    # Every instruction as the patient read it and the answer: [{"code", "text", "answer":
    # PreCareAnswer, "note"}]. The text is kept as shown: an instruction set may change later.
    answers = models.JSONField(default=list, blank=True, encoder=DjangoJSONEncoder)
    confirmed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-confirmed_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "appointment"], name="precare_one_per_appointment"
            )
        ]

    def __str__(self) -> str:
        return f"pre-care of appointment {self.appointment_id}"


class CheckInResponse(OrgOwned):
    """A patient's side-effect check-in after a session, as answered, with its grading."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    # Empty only on rows whose session was already missing when this link became a key
    # (migration 0004 printed them); every new row has one.
    session = models.ForeignKey(
        "charting.TreatmentSession",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="check_in_responses",
    )
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
                fields=["organization", "session", "when"], name="checkin_once_per_link"
            )
        ]

    def __str__(self) -> str:
        return f"check-in {self.when} of session {self.session_id}"


class PortalAccount(OrgOwned):
    """A patient's (or a guardian's) sign-in to the portal of one organization, by email.

    The password is optional (a Django password hash, never the password); without one the
    account signs in by email link only."""

    email = models.EmailField(_("email"))
    password = models.CharField(max_length=200, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "email"], name="portal_account_one_per_email"
            )
        ]

    def __str__(self) -> str:
        return self.email


class PortalAccess(OrgOwned):
    """Which patient records an account may open: its own, and minors it is guardian of."""

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="accesses")
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    relation = models.CharField(max_length=10, choices=AccessRelation.choices)
    guardian_consent = models.ForeignKey(
        "patients.Consent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["relation", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "patient", "organization"], name="portal_access_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.account_id} → {self.patient_id} ({self.relation})"


class MagicLink(OrgOwned):
    """A single-use sign-in link. Only the SHA-256 of the token is stored."""

    account = models.ForeignKey(PortalAccount, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    requested_ip = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["account", "created_at"], name="magiclink_account_created")]

    def __str__(self) -> str:
        return f"sign-in link of account {self.account_id}"


class PortalTotp(OrgOwned):
    """An account's authenticator-app second factor (RFC 6238, 30 s steps, 6 digits)."""

    account = models.OneToOneField(PortalAccount, on_delete=models.CASCADE, related_name="totp")
    key = models.CharField(max_length=80)  # hex, as django-otp stores it
    confirmed = models.BooleanField(default=False)
    last_t = models.BigIntegerField(default=-1)  # the last time step used: no code twice
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"second factor of account {self.account_id}"
