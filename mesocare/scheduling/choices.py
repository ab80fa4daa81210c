from django.db import models
from django.utils.translation import gettext_lazy as _


class AppointmentStatus(models.TextChoices):
    BOOKED = "booked", _("Booked")
    CHECKED_IN = "checked_in", _("Checked in")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")
    NO_SHOW = "no_show", _("No-show")


# An active appointment holds its practitioner, room and patient: no two may overlap.
ACTIVE_STATUSES: tuple[str, ...] = (
    AppointmentStatus.BOOKED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.COMPLETED,
)


class WaitlistStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting")
    OFFERED = "offered", _("Offered")
    BOOKED = "booked", _("Booked")
    CANCELLED = "cancelled", _("Cancelled")


class ConflictReason(models.TextChoices):
    """Why a session cannot be booked: the `reason` of each entry of a 409's `conflicts`."""

    PRACTITIONER_BUSY = "practitioner_busy", _("The practitioner is busy then.")
    ROOM_BUSY = "room_busy", _("The room is taken then.")
    PATIENT_BUSY = "patient_busy", _("The patient has another appointment then.")
    PRACTITIONER_BLOCKED = "practitioner_blocked", _("The practitioner is unavailable then.")
    ROOM_BLOCKED = "room_blocked", _("The room is unavailable then.")
    OUTSIDE_WORKING_HOURS = (
        "outside_working_hours",
        _("The practitioner does not work at this location then."),
    )
    ROOM_CLOSED = "room_closed", _("The location is closed then.")
    WRONG_ROOM_KIND = "wrong_room_kind", _("The room is not of the kind the plan needs.")
    WRONG_LOCATION = "wrong_location", _("The room is at another location.")
    GAP = "gap", _("The gap to the neighbouring session breaks the plan's interval rules.")
    ALREADY_BOOKED = "already_booked", _("This session of the course is already booked.")
    UNKNOWN_SESSION = "unknown_session", _("The plan has no session with this index.")
    IN_PAST = "in_past", _("The start is in the past.")
    OVERLAPS_COURSE = "overlaps_course", _("Two sessions of the request overlap.")
