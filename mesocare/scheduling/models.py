"""Appointments, unavailability blocks, the waitlist and calendar feeds.

The no-overlap guarantee (DESIGN §5) lives in two places: on PostgreSQL the exclusion
constraints of migration 0002 (they hold under any concurrency); on SQLite the booking service
checks inside a write transaction that `BEGIN IMMEDIATE` serializes.
"""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus, WaitlistStatus

# Names of the PostgreSQL exclusion constraints (migration 0002) and of the unique constraint
# below; the booking service maps an IntegrityError naming one of them to a conflict reason.
PRACTITIONER_OVERLAP = "appointment_practitioner_no_overlap"
ROOM_OVERLAP = "appointment_room_no_overlap"
PATIENT_OVERLAP = "appointment_patient_no_overlap"
ONE_ACTIVE_PER_SESSION = "appointment_one_active_per_session"


class Appointment(OrgOwned):
    # Every booking writes each index of this table, so it keeps few (db_index=False on the
    # foreign keys): practitioner, room and patient lead the exclusion constraints' GiST
    # indexes (migration 0002, which `overlap.active_meeting` queries); organization and
    # patient lead the (column, start) indexes below, which also serve calendars by location;
    # plan and planned session are indexed only where set. Deleting a location or a user
    # (both protected, both rare) reads the table without an index.
    organization = models.ForeignKey(
        "clinics.Organization", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    location = models.ForeignKey(
        "clinics.Location", on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    practitioner = models.ForeignKey(
        "clinics.Membership",
        on_delete=models.PROTECT,
        related_name="appointments",
        db_index=False,
    )
    room = models.ForeignKey(
        "clinics.Room", on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="appointments", db_index=False
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=AppointmentStatus.choices,
        default=AppointmentStatus.BOOKED,
    )
    plan = models.ForeignKey(
        "plans.TreatmentPlan",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        db_index=False,
    )
    planned_session = models.ForeignKey(
        "plans.PlannedSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="appointments",
        db_index=False,
    )
    # The 1-based session number within the plan's course (set with `plan`).
    course_index = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", db_index=False
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [
            models.Index(fields=["organization", "start"], name="appt_org_start"),
            # A location's calendar reads its own appointments of the day or week, not those of
            # every location of the organization in that window.
            models.Index(
                fields=["organization", "location", "start"], name="appt_org_location_start"
            ),
            models.Index(fields=["patient", "start"], name="appt_patient_start"),
            models.Index(fields=["plan"], condition=models.Q(plan__isnull=False), name="appt_plan"),
            models.Index(
                fields=["planned_session"],
                condition=models.Q(planned_session__isnull=False),
                name="appt_planned_session",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="appointment_start_before_end"
            ),
            models.CheckConstraint(
                condition=models.Q(plan__isnull=True) | models.Q(course_index__isnull=False),
                name="appointment_course_index_with_plan",
            ),
            models.UniqueConstraint(
                fields=["plan", "course_index", "organization"],
                condition=models.Q(status__in=ACTIVE_STATUSES, plan__isnull=False),
                name=ONE_ACTIVE_PER_SESSION,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient_id} {self.start:%Y-%m-%d %H:%M} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def duration_min(self) -> int:
        return int((self.end - self.start).total_seconds() // 60)


class Block(OrgOwned):
    """A practitioner or a room unavailable for a while (leave, training, maintenance)."""

    practitioner = models.ForeignKey(
        "clinics.Membership", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    room = models.ForeignKey(
        "clinics.Room", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    start = models.DateTimeField(_("start"))
    end = models.DateTimeField(_("end"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start", "id"]
        indexes = [models.Index(fields=["organization", "start"], name="block_org_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start__lt=models.F("end")), name="block_start_before_end"
            ),
            models.CheckConstraint(
                condition=models.Q(practitioner__isnull=False) | models.Q(room__isnull=False),
                name="block_has_subject",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}–{self.end:%H:%M} {self.reason}"


class WaitlistEntry(OrgOwned):
    """A patient who would take an earlier slot. When one frees, the first matching waiter
    (oldest first) is offered it: `offered_*` describe the slot, `offered_appointment` is the
    appointment whose cancellation or move freed it, `booked_appointment` the one made when the
    patient accepted."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="+")
    location = models.ForeignKey("clinics.Location", on_delete=models.CASCADE, related_name="+")
    practitioner = models.ForeignKey(
        "clinics.Membership", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    plan = models.ForeignKey(
        "plans.TreatmentPlan", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    course_index = models.PositiveIntegerField(null=True, blank=True)
    earliest = models.DateField(_("earliest date"))
    latest = models.DateField(_("latest date"), null=True, blank=True)
    window_start = models.TimeField(_("from (time of day)"), null=True, blank=True)
    window_end = models.TimeField(_("until (time of day)"), null=True, blank=True)
    duration_min = models.PositiveIntegerField(_("duration (minutes)"))
    status = models.CharField(
        max_length=16, choices=WaitlistStatus.choices, default=WaitlistStatus.WAITING
    )
    notes = models.TextField(blank=True)
    offered_appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_start = models.DateTimeField(null=True, blank=True)
    offered_end = models.DateTimeField(null=True, blank=True)
    offered_practitioner = models.ForeignKey(
        "clinics.Membership", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_room = models.ForeignKey(
        "clinics.Room", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    offered_at = models.DateTimeField(null=True, blank=True)
    # Until when the offer stands; then the worker returns the entry to waiting and offers the
    # slot to the next waiter (`waitlist.expire_offers`).
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    booked_appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["organization", "location", "status"], name="waitlist_open")
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_start__isnull=True)
                | models.Q(window_end__isnull=True)
                | models.Q(window_start__lt=models.F("window_end")),
                name="waitlist_window_order",
            ),
            models.CheckConstraint(
                condition=models.Q(duration_min__gte=1), name="waitlist_duration_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"waitlist {self.patient_id} from {self.earliest} ({self.status})"


def hash_feed_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class CalendarFeed(OrgOwned):
    """An iCalendar feed at an unguessable URL, for one practitioner or one patient.

    Only the SHA-256 of the token is stored; the URL is shown once, at creation."""

    token_hash = models.CharField(max_length=64, unique=True)
    practitioner = models.ForeignKey(
        "clinics.Membership", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey("clinics.Membership", on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(practitioner__isnull=False) & models.Q(patient__isnull=True))
                | (models.Q(practitioner__isnull=True) & models.Q(patient__isnull=False)),
                name="calendar_feed_one_owner",
            )
        ]

    def __str__(self) -> str:
        owner = f"practitioner {self.practitioner_id}" if self.practitioner_id else "patient"
        return f"feed of {owner}"

    @staticmethod
    def new_token() -> str:
        return secrets.token_urlsafe(32)


class WaitlistOffer(OrgOwned):
    """A freed slot offered to a waiting entry. A slot passed on (declined, expired, failed)
    goes to the next waiter, never back to an entry it was offered to already."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="offers")
    freed = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="+")
    start = models.DateTimeField()
    offered_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["freed", "start", "entry", "organization"],
                name="waitlist_offer_once_per_slot",
            )
        ]
