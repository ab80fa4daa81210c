"""The one guarded way into the appointment table: conflict check, then insert or move.

DESIGN §5: no two active appointments overlap for the same practitioner, room or patient.
Every write runs inside `transaction.atomic()`. On SQLite the settings make that a
`BEGIN IMMEDIATE`, so the check below and the write are serialized with every other booking.
On PostgreSQL the check gives precise reasons, and the exclusion constraints catch what a
concurrent transaction committed after it: their IntegrityError becomes the same 409.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.clinics.models import Location, Membership, OpeningHours, Room, WorkingHours
from mesocare.errors import Conflict
from mesocare.scheduling.choices import ACTIVE_STATUSES, ConflictReason
from mesocare.scheduling.models import (
    ONE_ACTIVE_PER_SESSION,
    PATIENT_OVERLAP,
    PRACTITIONER_OVERLAP,
    ROOM_OVERLAP,
    Appointment,
    Block,
)

CONSTRAINT_REASONS = {
    PRACTITIONER_OVERLAP: ConflictReason.PRACTITIONER_BUSY,
    ROOM_OVERLAP: ConflictReason.ROOM_BUSY,
    PATIENT_OVERLAP: ConflictReason.PATIENT_BUSY,
    ONE_ACTIVE_PER_SESSION: ConflictReason.ALREADY_BOOKED,
}


@dataclass
class Candidate:
    """One appointment as it would be after the write (new, or an existing one moved)."""

    start: dt.datetime
    end: dt.datetime
    practitioner: Membership
    room: Room
    index: int | None = None  # the course session number, reported in conflicts
    moving: Appointment | None = None

    @property
    def location(self) -> Location:
        return self.room.location


@dataclass
class Conflicts:
    items: list[dict[str, Any]] = field(default_factory=list)

    def add(self, index: int | None, reason: ConflictReason, **extra: Any) -> None:
        entry = {"index": index, "reason": reason.value, "message": str(reason.label), **extra}
        if entry not in self.items:
            self.items.append(entry)

    def __bool__(self) -> bool:
        return bool(self.items)

    def error(self, message: str | None = None) -> Conflict:
        return Conflict(
            "booking_conflict",
            message or _("Nothing was booked: %(n)d conflict(s).") % {"n": len(self.items)},
            conflicts=self.items,
        )


def local(moment: dt.datetime, location: Location) -> dt.datetime:
    return moment.astimezone(location.tz)


def _inside(hours: Iterable[tuple[dt.time, dt.time]], start: dt.datetime, end: dt.datetime) -> bool:
    """Whether local ``[start, end)`` (one local day) lies inside one of ``hours``."""
    if end.date() != start.date() and not (
        end.date() == start.date() + dt.timedelta(days=1) and end.time() == dt.time()
    ):
        return False
    end_time = end.time() if end.date() == start.date() else dt.time(23, 59, 59, 999999)
    return any(opens <= start.time() and end_time <= closes for opens, closes in hours)


def find_conflicts(
    org_id: int,
    patient_id: int,
    candidates: Sequence[Candidate],
    *,
    room_kind: str = "",
    now: dt.datetime | None = None,
) -> Conflicts:
    """Every reason the candidates cannot be written, in a fixed number of queries."""
    conflicts = Conflicts()
    if not candidates:
        return conflicts
    now = now or timezone.now()
    moving_ids = [c.moving.pk for c in candidates if c.moving is not None]
    for c in candidates:
        if c.start < now:
            conflicts.add(c.index, ConflictReason.IN_PAST)
        if room_kind and c.room.kind != room_kind:
            conflicts.add(c.index, ConflictReason.WRONG_ROOM_KIND)
    _check_hours(org_id, candidates, conflicts)

    lo, hi = min(c.start for c in candidates), max(c.end for c in candidates)
    practitioners = {c.practitioner.pk for c in candidates}
    rooms = {c.room.pk for c in candidates}
    busy = (
        Appointment.objects.for_org(org_id)
        .filter(status__in=ACTIVE_STATUSES, start__lt=hi, end__gt=lo)
        .filter(
            Q(practitioner_id__in=practitioners) | Q(room_id__in=rooms) | Q(patient_id=patient_id)
        )
        .exclude(pk__in=moving_ids)
        .values_list("pk", "practitioner_id", "room_id", "patient_id", "start", "end")
    )
    for pk, practitioner_id, room_id, other_patient, start, end in busy:
        for c in candidates:
            if not (start < c.end and c.start < end):
                continue
            if practitioner_id == c.practitioner.pk:
                conflicts.add(c.index, ConflictReason.PRACTITIONER_BUSY, appointment=pk)
            if room_id == c.room.pk:
                conflicts.add(c.index, ConflictReason.ROOM_BUSY, appointment=pk)
            if other_patient == patient_id:
                conflicts.add(c.index, ConflictReason.PATIENT_BUSY, appointment=pk)
    blocks = (
        Block.objects.for_org(org_id)
        .filter(start__lt=hi, end__gt=lo)
        .filter(Q(practitioner_id__in=practitioners) | Q(room_id__in=rooms))
        .values_list("practitioner_id", "room_id", "start", "end")
    )
    for practitioner_id, room_id, start, end in blocks:
        for c in candidates:
            if start < c.end and c.start < end:
                if practitioner_id == c.practitioner.pk:
                    conflicts.add(c.index, ConflictReason.PRACTITIONER_BLOCKED)
                if room_id == c.room.pk:
                    conflicts.add(c.index, ConflictReason.ROOM_BLOCKED)
    ordered = sorted(candidates, key=lambda c: c.start)
    for a, b in zip(ordered, ordered[1:], strict=False):
        if b.start < a.end:
            conflicts.add(b.index, ConflictReason.OVERLAPS_COURSE)
    return conflicts


def _check_hours(org_id: int, candidates: Sequence[Candidate], conflicts: Conflicts) -> None:
    locations = {c.room.location_id for c in candidates}
    working: dict[tuple[int, int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    for row in WorkingHours.objects.for_org(org_id).filter(
        location_id__in=locations, membership_id__in={c.practitioner.pk for c in candidates}
    ):
        working[(row.membership_id, row.location_id, row.weekday)].append((row.opens, row.closes))
    opening: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    has_opening: set[int] = set()
    for hours in OpeningHours.objects.filter(location_id__in=locations):
        opening[(hours.location_id, hours.weekday)].append((hours.opens, hours.closes))
        has_opening.add(hours.location_id)
    for c in candidates:
        location = c.location
        start, end = local(c.start, location), local(c.end, location)
        day = start.weekday()
        if not _inside(working[(c.practitioner.pk, location.pk, day)], start, end):
            conflicts.add(c.index, ConflictReason.OUTSIDE_WORKING_HOURS)
        if location.pk in has_opening and not _inside(opening[(location.pk, day)], start, end):
            conflicts.add(c.index, ConflictReason.ROOM_CLOSED)


def conflict_from_integrity_error(exc: IntegrityError, index: int | None) -> Conflict | None:
    """A constraint the database enforced (a concurrent booking won) as a 409, or None when
    the error is about something else."""
    name = getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) or ""
    reason = CONSTRAINT_REASONS.get(name)
    text = str(exc)
    if reason is None:
        reason = next((r for n, r in CONSTRAINT_REASONS.items() if n in text), None)
    if reason is None and "scheduling_appointment.course_index" in text:  # SQLite's wording
        reason = ConflictReason.ALREADY_BOOKED
    if reason is None:
        return None
    conflicts = Conflicts()
    conflicts.add(index, reason)
    return conflicts.error(_("Another booking took this time a moment ago; nothing was booked."))


class _Cursor:
    index: int | None = None


@contextmanager
def guarded_write() -> Iterator[_Cursor]:
    """A write transaction in which an exclusion or uniqueness violation becomes a 409 that
    names the session being written (``cursor.index``)."""
    cursor = _Cursor()
    try:
        with transaction.atomic():
            yield cursor
    except IntegrityError as exc:
        conflict = conflict_from_integrity_error(exc, cursor.index)
        if conflict is None:
            raise
        raise conflict from exc
