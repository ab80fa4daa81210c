"""Engine calendars from the database: who works when, which rooms are open, who is busy."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Q

from mesocare.clinics.choices import Role
from mesocare.clinics.models import Location, Membership, OpeningHours, Room, WorkingHours
from mesocare.core.scheduling import (
    Interval,
    PractitionerCalendar,
    RoomCalendar,
    Slot,
    WeeklyHours,
    free_slots,
)
from mesocare.scheduling.models import Appointment, Block
from mesocare.scheduling.overlap import active_meeting

# Who can be booked to treat: members with working hours at the location and one of these roles.
TREATING_ROLES = (Role.PRACTITIONER, Role.ADMIN)

# A location without opening hours is open whenever its practitioners work.
ALL_DAY = ((dt.time(0), dt.time(23, 59, 59)),)
ALL_WEEK = WeeklyHours.from_mapping(dict.fromkeys(range(7), ALL_DAY))


@dataclass(frozen=True)
class Calendars:
    tz: ZoneInfo
    practitioners: list[PractitionerCalendar]
    rooms: list[RoomCalendar]
    patient_busy: list[Interval]


def local_midnight(day: dt.date, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(), tzinfo=tz)


def weekly(rows: Iterable[OpeningHours | WorkingHours]) -> WeeklyHours:
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for row in rows:
        by_day[row.weekday].append((row.opens, row.closes))
    return WeeklyHours.from_mapping(by_day)


def location_calendars(
    org_id: int,
    location: Location,
    start: dt.datetime,
    end: dt.datetime,
    *,
    practitioner_ids: Iterable[int] | None = None,
    patient_id: int | None = None,
    exclude_appointment_ids: Iterable[int] = (),
) -> Calendars:
    """Calendars of the location's practitioners and rooms for ``[start, end)``.

    Busy time of a practitioner or a patient counts at every location (nobody is in two
    places at once); rooms belong to this location. Ids are ``str(pk)``.
    """
    hours = WorkingHours.objects.for_org(org_id).filter(
        location=location, membership__is_active=True, membership__role__in=TREATING_ROLES
    )
    if practitioner_ids is not None:
        hours = hours.filter(membership_id__in=list(practitioner_ids))
    by_practitioner: dict[int, list[WorkingHours]] = defaultdict(list)
    for row in hours:
        by_practitioner[row.membership_id].append(row)
    rooms = list(Room.objects.for_org(org_id).filter(location=location, is_active=True))
    opening = list(OpeningHours.objects.filter(location=location))
    room_hours = weekly(opening) if opening else ALL_WEEK

    people = set(by_practitioner)
    room_ids = {r.pk for r in rooms}
    busy_of_practitioner: dict[int, list[Interval]] = defaultdict(list)
    busy_of_room: dict[int, list[Interval]] = defaultdict(list)
    patient_busy: list[Interval] = []
    who = Q(practitioner_id__in=people) | Q(room_id__in=room_ids)
    if patient_id is not None:
        who |= Q(patient_id=patient_id)
    appointments = (
        active_meeting(Appointment.objects.for_org(org_id), start, end)
        .filter(who)
        .exclude(pk__in=list(exclude_appointment_ids))
        .values_list("practitioner_id", "room_id", "patient_id", "start", "end")
    )
    for practitioner_id, room_id, appt_patient_id, a_start, a_end in appointments:
        span = Interval(a_start, a_end)
        if practitioner_id in people:
            busy_of_practitioner[practitioner_id].append(span)
        if room_id in room_ids:
            busy_of_room[room_id].append(span)
        if patient_id is not None and appt_patient_id == patient_id:
            patient_busy.append(span)
    blocks = (
        Block.objects.for_org(org_id)
        .filter(Q(practitioner_id__in=people) | Q(room_id__in=room_ids))
        .filter(start__lt=end, end__gt=start)
        .values_list("practitioner_id", "room_id", "start", "end")
    )
    for practitioner_id, room_id, b_start, b_end in blocks:
        span = Interval(b_start, b_end)
        if practitioner_id in people:
            busy_of_practitioner[practitioner_id].append(span)
        if room_id in room_ids:
            busy_of_room[room_id].append(span)
    return Calendars(
        tz=location.tz,
        practitioners=[
            PractitionerCalendar(
                id=str(pk), weekly_hours=weekly(rows), busy=tuple(busy_of_practitioner[pk])
            )
            for pk, rows in sorted(by_practitioner.items())
        ],
        rooms=[
            RoomCalendar(
                id=str(r.pk), kind=r.kind, weekly_hours=room_hours, busy=tuple(busy_of_room[r.pk])
            )
            for r in rooms
        ],
        patient_busy=patient_busy,
    )


def available_slots(
    org_id: int,
    location: Location,
    date_from: dt.date,
    date_to: dt.date,
    duration_min: int,
    *,
    window: tuple[dt.time, dt.time] | None = None,
    practitioner: Membership | None = None,
    room_kind: str | None = None,
    patient_id: int | None = None,
) -> list[Slot]:
    """Every bookable start on local dates ``date_from..date_to``, practitioner by practitioner."""
    tz = location.tz
    calendars = location_calendars(
        org_id,
        location,
        local_midnight(date_from, tz),
        local_midnight(date_to + dt.timedelta(days=1), tz),
        practitioner_ids=None if practitioner is None else [practitioner.pk],
        patient_id=patient_id,
    )
    slots: list[Slot] = []
    for calendar in calendars.practitioners:
        slots.extend(
            free_slots(
                calendar,
                calendars.rooms,
                calendars.patient_busy,
                tz,
                date_from,
                date_to,
                dt.timedelta(minutes=duration_min),
                window=window,
                room_kind=room_kind or None,
            )
        )
    slots.sort(key=lambda s: (s.start, int(s.practitioner_id)))
    return slots
