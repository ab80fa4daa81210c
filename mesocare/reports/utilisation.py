"""Utilisation: booked against available hours of each practitioner and room, per ISO week.

Definitions (also on the page):
- *available*: a practitioner's working hours at the location (a room: its location's opening
  hours) on each local day of the period, less their time off (blocks); a location without
  opening hours gives its rooms no available hours;
- *booked*: appointments that start on a local day of the period and hold the practitioner or
  room: booked, checked in, completed, and no-shows (the slot was held); cancellations free it;
- utilisation = booked / available (over 100 % when booked outside the hours).

Seven queries, whatever the number of appointments (`mesocare.core.business` does the
arithmetic).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, OpeningHours, Room, WorkingHours
from mesocare.core.business import (
    available_minutes_by_week,
    booked_minutes_by_week,
    days,
    rate,
    week_of,
)
from mesocare.core.scheduling import Interval
from mesocare.reports.common import Filters, check, person
from mesocare.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus
from mesocare.scheduling.models import Appointment, Block
from mesocare.scheduling.services.calendars import weekly

HOLDING = (*ACTIVE_STATUSES, AppointmentStatus.NO_SHOW)


@dataclass
class Usage:
    kind: str  # "practitioner" | "room"
    name: str
    location: str
    available: dict[dt.date, int] = field(default_factory=dict)  # week → minutes
    booked: dict[dt.date, int] = field(default_factory=dict)

    @property
    def available_minutes(self) -> int:
        return sum(self.available.values())

    @property
    def booked_minutes(self) -> int:
        return sum(self.booked.values())

    @property
    def rate(self) -> float | None:
        return rate(self.booked_minutes, self.available_minutes)

    def week_rate(self, week: dt.date) -> float | None:
        return rate(self.booked.get(week, 0), self.available.get(week, 0))


def utilisation(actor: Actor, filters: Filters) -> dict[str, Any]:
    """{"weeks": [Mondays], "practitioners": [Usage], "rooms": [Usage],
    "totals": {"practitioner" | "room": {week: (booked, available)}}}."""
    return usage_of(actor.org_id, check(actor, filters), filters)


def usage_of(
    org_id: int, locations: dict[int, Location], filters: Filters, *, rooms_only: bool = False
) -> dict[str, Any]:
    """`utilisation` of these locations without the permission check (the business page of
    the outcomes reports shows the rooms' part); `rooms_only` leaves the practitioners out."""
    start, end = filters.window()
    loc_ids = list(locations)
    hours = WorkingHours.objects.for_org(org_id).filter(
        location_id__in=loc_ids, membership__is_active=True
    )
    if rooms_only:
        hours = hours.none()
    if filters.practitioner_id is not None:
        hours = hours.filter(membership_id=filters.practitioner_id)
    by_person: dict[tuple[int, int], list[Any]] = defaultdict(list)
    names: dict[int, str] = {}
    for row in hours.select_related("membership__user"):
        by_person[(row.membership_id, row.location_id)].append(row)
        names[row.membership_id] = person(row.membership.user.full_name, row.membership.user.email)
    opening: dict[int, list[Any]] = defaultdict(list)
    for hours_row in OpeningHours.objects.filter(location_id__in=loc_ids):
        opening[hours_row.location_id].append(hours_row)
    rooms = (
        []
        if filters.practitioner_id is not None
        else list(Room.objects.for_org(org_id).filter(location_id__in=loc_ids, is_active=True))
    )
    people = {pid for pid, _ in by_person}
    room_ids = {r.pk for r in rooms}
    off_person: dict[int, list[Interval]] = defaultdict(list)
    off_room: dict[int, list[Interval]] = defaultdict(list)
    for pid, rid, b_start, b_end in (
        Block.objects.for_org(org_id)
        .filter(Q(practitioner_id__in=people) | Q(room_id__in=room_ids))
        .filter(start__lt=end, end__gt=start)
        .values_list("practitioner_id", "room_id", "start", "end")
    ):
        if pid in people:
            off_person[pid].append(Interval(b_start, b_end))
        if rid in room_ids:
            off_room[rid].append(Interval(b_start, b_end))
    booked_person: dict[tuple[int, int], list[Interval]] = defaultdict(list)
    booked_room: dict[int, list[Interval]] = defaultdict(list)
    for pid, rid, loc_id, a_start, a_end in (
        Appointment.objects.for_org(org_id)
        .filter(start__gte=start, start__lt=end, status__in=HOLDING, location_id__in=loc_ids)
        .filter(Q(practitioner_id__in=people) | Q(room_id__in=room_ids))
        .values_list("practitioner_id", "room_id", "location_id", "start", "end")
    ):
        if (pid, loc_id) in by_person:
            booked_person[(pid, loc_id)].append(Interval(a_start, a_end))
        if rid in room_ids:
            booked_room[rid].append(Interval(a_start, a_end))

    def usage(kind: str, name: str, loc_id: int, avail: Any, busy: list[Interval]) -> Usage:
        tz = locations[loc_id].tz
        return Usage(
            kind,
            name,
            locations[loc_id].name,
            available=avail,
            booked=booked_minutes_by_week(busy, tz, filters.date_from, filters.date_to),
        )

    practitioners = [
        usage(
            "practitioner",
            names[pid],
            loc_id,
            available_minutes_by_week(
                weekly(rows),
                locations[loc_id].tz,
                filters.date_from,
                filters.date_to,
                off_person[pid],
            ),
            booked_person[(pid, loc_id)],
        )
        for (pid, loc_id), rows in by_person.items()
    ]
    room_rows = [
        usage(
            "room",
            room.name,
            room.location_id,
            available_minutes_by_week(
                weekly(opening[room.location_id]),
                locations[room.location_id].tz,
                filters.date_from,
                filters.date_to,
                off_room[room.pk],
            )
            if opening[room.location_id]
            else {},
            booked_room[room.pk],
        )
        for room in rooms
    ]
    weeks = sorted({week_of(d) for d in days(filters.date_from, filters.date_to)})
    totals: dict[str, dict[dt.date, tuple[int, int]]] = {}
    for kind, group in (("practitioner", practitioners), ("room", room_rows)):
        totals[kind] = {
            w: (sum(u.booked.get(w, 0) for u in group), sum(u.available.get(w, 0) for u in group))
            for w in weeks
        }
    order = lambda u: (u.location, u.name)  # noqa: E731
    return {
        "weeks": weeks,
        "practitioners": sorted(practitioners, key=order),
        "rooms": sorted(room_rows, key=order),
        "totals": totals,
    }


CSV_HEADER = ("kind", "name", "location", "week", "booked_hours", "available_hours", "utilisation")


def csv_rows(report: dict[str, Any]) -> list[tuple[Any, ...]]:
    out = []
    for usage in [*report["practitioners"], *report["rooms"]]:
        for week in report["weeks"]:
            r = usage.week_rate(week)
            out.append(
                (
                    usage.kind,
                    usage.name,
                    usage.location,
                    week.isoformat(),
                    f"{usage.booked.get(week, 0) / 60:.2f}",
                    f"{usage.available.get(week, 0) / 60:.2f}",
                    "" if r is None else f"{r:.4f}",
                )
            )
    return out
