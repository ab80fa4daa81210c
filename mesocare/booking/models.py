"""Online booking: what the clinic offers online, the short holds on slots a visitor is
booking, the intake a new patient reported online, and which appointments were booked online.

Appointments themselves are written by the scheduling services only (same guarantees as the
staff calendar); these rows describe the online side of them.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.booking.choices import IntakeOutcome, IntakeStatus, ServiceKind
from mesocare.clinics.choices import RoomKind
from mesocare.clinics.tenancy import OrgOwned

DEFAULT_CUTOFF_HOURS = 24
HOLD_MINUTES = 10


class OnlineBookingSettings(OrgOwned):
    """One per organization: whether its public booking pages are open, and the member in
    whose name online bookings are written (a sign-in-less "Online booking" user, so the
    audit trail and the `recorded_by` of patient-reported records say where they came from)."""

    enabled = models.BooleanField(_("online booking is open"), default=False)
    cutoff_hours = models.PositiveIntegerField(
        _("changes online until (hours before)"),
        default=DEFAULT_CUTOFF_HOURS,
        validators=[MaxValueValidator(24 * 30)],
    )
    policy_text = models.TextField(_("deposit and cancellation policy"), blank=True)
    membership = models.OneToOneField(
        "clinics.Membership", on_delete=models.PROTECT, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="online_settings_one_per_org")
        ]

    def __str__(self) -> str:
        return f"online booking of {self.organization_id}"


class OnlineService(OrgOwned):
    """A service bookable online: its duration, the price shown, how far ahead it may be
    booked, and the policy text shown before confirming."""

    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=16, choices=ServiceKind.choices, default=ServiceKind.CONSULTATION
    )
    protocol = models.ForeignKey(
        "catalog.Protocol",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("protocol (its products are checked for contraindications)"),
    )
    description = models.TextField(_("description"), blank=True)
    bookable_online = models.BooleanField(_("bookable online"), default=True)
    duration_min = models.PositiveIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(5), MaxValueValidator(480)]
    )
    price_text = models.CharField(_("price shown"), max_length=80, blank=True)
    lead_time_hours = models.PositiveIntegerField(
        _("lead time (hours)"), default=2, validators=[MaxValueValidator(24 * 60)]
    )
    cutoff_hours = models.PositiveIntegerField(
        _("changes online until (hours before)"),
        null=True,
        blank=True,
        validators=[MaxValueValidator(24 * 30)],
    )
    booking_horizon_days = models.PositiveIntegerField(
        _("bookable up to (days ahead)"),
        default=60,
        validators=[MinValueValidator(1), MaxValueValidator(365)],
    )
    room_kind = models.CharField(
        _("room kind"), max_length=16, choices=RoomKind.choices, blank=True
    )
    policy_text = models.TextField(_("policy shown before confirming"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="online_service_name")
        ]

    def __str__(self) -> str:
        return self.name


class Hold(OrgOwned):
    """A slot kept for one visitor while they fill in the form; it lapses after
    `HOLD_MINUTES`. Only the SHA-256 of the hold's token (in the visitor's URL) is stored."""

    service = models.ForeignKey(OnlineService, on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("clinics.Location", on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        "clinics.Membership", on_delete=models.CASCADE, related_name="+"
    )
    room = models.ForeignKey("clinics.Room", on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    end = models.DateTimeField()
    token_hash = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField()
    released_at = models.DateTimeField(null=True, blank=True)
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["organization", "expires_at"], name="hold_org_expiry")]
        constraints = [
            models.CheckConstraint(condition=models.Q(start__lt=models.F("end")), name="hold_order")
        ]

    def __str__(self) -> str:
        return f"hold {self.start:%Y-%m-%d %H:%M} until {self.expires_at:%H:%M}"


class IntakeSubmission(OrgOwned):
    """What a patient answered in the online intake. The answers are also written to the
    chart (recorded by the online booking user, so they read as patient-reported) and wait
    here for a member of staff to confirm them."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    service = models.ForeignKey(
        OnlineService, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    answers = models.JSONField(default=dict)
    records = models.JSONField(default=dict)  # model name → ids written from these answers
    findings = models.JSONField(default=list)
    safety_check = models.ForeignKey(
        "safety.SafetyCheck", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    outcome = models.CharField(max_length=16, choices=IntakeOutcome.choices)
    flagged = models.BooleanField(_("flagged for staff"), default=False)
    status = models.CharField(
        max_length=16, choices=IntakeStatus.choices, default=IntakeStatus.TO_CONFIRM
    )
    appointment = models.ForeignKey(
        "scheduling.Appointment", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField(auto_now_add=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-flagged", "submitted_at", "id"]
        indexes = [models.Index(fields=["organization", "status"], name="intake_org_status")]

    def __str__(self) -> str:
        return f"online intake of patient {self.patient_id} ({self.status})"


class OnlineAppointment(OrgOwned):
    """An appointment booked through the public pages or the portal (the staff calendar shows
    an "online" badge on it)."""

    appointment = models.OneToOneField(
        "scheduling.Appointment", on_delete=models.CASCADE, related_name="online"
    )
    service = models.ForeignKey(
        OnlineService, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"online booking of appointment {self.appointment_id}"
