"""What the day and week calendars show of each appointment, read as plain values in one query.

A busy location's week holds hundreds of appointments; as model instances (the appointment, its
patient, practitioner, user and room, every column of each) they cost more to build than the
page costs to write. The calendar needs ten values an appointment: `Entry` holds them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus
from mesocare.scheduling.services import appointments as appts

# The calendar shows a no-show where it was booked; cancelled appointments free their time.
SHOWN_STATUSES = (*ACTIVE_STATUSES, AppointmentStatus.NO_SHOW)

_VALUES = (
    "pk",
    "start",
    "end",
    "status",
    "practitioner_id",
    "room_id",
    "course_index",
    "patient__given_name",
    "patient__family_name",
    "practitioner__user__full_name",
    "room__name",
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One appointment as the calendar shows it."""

    pk: int
    start: dt.datetime
    end: dt.datetime
    status: str
    practitioner_id: int
    room_id: int
    course_index: int | None
    patient_name: str  # as Patient.full_name writes it
    practitioner_name: str  # the practitioner's full name (blank if none was given)
    room_name: str

    @property
    def status_label(self) -> str:
        return str(AppointmentStatus(self.status).label)


def calendar_entries(
    actor: Actor, location: Location, start: dt.datetime, end: dt.datetime
) -> list[Entry]:
    """The location's appointments shown between ``start`` and ``end`` (those that meet it),
    in start order."""
    rows = (
        appts.list_appointments(actor, start_from=start, start_before=end, location=location.pk)
        .filter(status__in=SHOWN_STATUSES)
        .values_list(*_VALUES)
    )
    return [
        Entry(pk, a_start, a_end, status, practitioner, room, index, f"{given} {family}", who, name)
        for (
            pk,
            a_start,
            a_end,
            status,
            practitioner,
            room,
            index,
            given,
            family,
            who,
            name,
        ) in rows
    ]
