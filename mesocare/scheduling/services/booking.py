"""The guarded way into the appointment table: conflict check, then insert or move.

Courses and moves come through `find_conflicts`; a single new appointment is written by the
one statement of `insert_if_free`, which asks `find_conflicts` for the reasons only when it
refuses, so the reasons of a 409 always come from here.

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
from django.db.models import (
    CharField,
    DateTimeField,
    F,
    Field,
    IntegerField,
    Q,
    QuerySet,
    TimeField,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mesocare.clinics.models import Location, Membership, OpeningHours, Room, WorkingHours
from mesocare.errors import Conflict
from mesocare.scheduling.choices import ConflictReason
from mesocare.scheduling.models import (
    ONE_ACTIVE_PER_SESSION,
    PATIENT_OVERLAP,
    PRACTITIONER_OVERLAP,
    ROOM_OVERLAP,
    Appointment,
    Block,
)
from mesocare.scheduling.overlap import active_meeting

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
        n = len(self.items)
        return Conflict(
            "booking_conflict",
            message
            or ngettext(
                "Nothing was booked: %(n)d conflict.", "Nothing was booked: %(n)d conflicts.", n
            )
            % {"n": n},
            conflicts=self.items,
        )


def local(moment: dt.datetime, location: Location) -> dt.datetime:
    return moment.astimezone(location.tz)


def day_times(start: dt.datetime, end: dt.datetime) -> tuple[dt.time, dt.time] | None:
    """Local ``[start, end)`` as the times one day's hours are compared with (an end at the
    next midnight is the day's last instant); None when it runs past local midnight."""
    if end.date() == start.date():
        return start.time(), end.time()
    if end.date() == start.date() + dt.timedelta(days=1) and end.time() == dt.time():
        return start.time(), dt.time(23, 59, 59, 999999)
    return None


def _inside(hours: Iterable[tuple[dt.time, dt.time]], start: dt.datetime, end: dt.datetime) -> bool:
    """Whether local ``[start, end)`` (one local day) lies inside one of ``hours``."""
    times = day_times(start, end)
    return times is not None and any(
        opens <= times[0] and times[1] <= closes for opens, closes in hours
    )


def find_conflicts(
    org_id: int,
    patient_id: int,
    candidates: Sequence[Candidate],
    *,
    room_kind: str = "",
    now: dt.datetime | None = None,
) -> Conflicts:
    """Every reason the candidates cannot be written, in one query however many they are."""
    conflicts = Conflicts()
    if not candidates:
        return conflicts
    now = now or timezone.now()
    for c in candidates:
        if c.start < now:
            conflicts.add(c.index, ConflictReason.IN_PAST)
        if room_kind and c.room.kind != room_kind:
            conflicts.add(c.index, ConflictReason.WRONG_ROOM_KIND)
    working: dict[tuple[int, int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    opening: dict[tuple[int, int], list[tuple[dt.time, dt.time]]] = defaultdict(list)
    has_opening: set[int] = set()
    busy, blocks = [], []
    for (
        kind,
        pk,
        practitioner_id,
        room_id,
        other_patient,
        location_id,
        weekday,
        opens,
        closes,
        start,
        end,
    ) in probe(org_id, patient_id, candidates):
        if kind == PROBE_APPOINTMENT:
            busy.append((pk, practitioner_id, room_id, other_patient, start, end))
        elif kind == PROBE_BLOCK:
            blocks.append((start, pk, practitioner_id, room_id, end))
        elif kind == PROBE_WORKING:
            working[(practitioner_id, location_id, weekday)].append((opens, closes))
        else:
            opening[(location_id, weekday)].append((opens, closes))
            has_opening.add(location_id)
    _check_hours(candidates, working, opening, has_opening, conflicts)
    # Reported in the models' order (start, id), as the separate queries used to return them.
    busy.sort(key=lambda row: (row[4], row[0]))
    blocks.sort()
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
    for start, _pk, practitioner_id, room_id, end in blocks:
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


# The probe is one UNION ALL of four branches (one round trip for every check of every
# session); each row says which branch it comes from and fills the columns of its kind.
PROBE_APPOINTMENT, PROBE_BLOCK, PROBE_WORKING, PROBE_OPENING = "a", "b", "w", "o"
_COLUMNS: dict[str, Field[Any, Any]] = {
    "p_kind": CharField(),
    "p_id": IntegerField(),
    "p_practitioner": IntegerField(),
    "p_room": IntegerField(),
    "p_patient": IntegerField(),
    "p_location": IntegerField(),
    "p_weekday": IntegerField(),
    "p_opens": TimeField(),
    "p_closes": TimeField(),
    "p_start": DateTimeField(),
    "p_end": DateTimeField(),
}


def _branch(qs: QuerySet[Any], kind: str, **columns: str) -> QuerySet[Any]:
    """``qs`` as rows of the probe: ``columns`` maps probe columns to model fields, the others
    are typed NULLs (PostgreSQL resolves a UNION column's type from its first branches)."""
    select: dict[str, Any] = {}
    for name, output in _COLUMNS.items():
        if name == "p_kind":
            select[name] = Value(kind, output_field=output)
        elif name in columns:
            select[name] = F(columns[name])
        else:
            select[name] = Cast(Value(None), output_field=output)
    return qs.order_by().annotate(**select).values_list(*_COLUMNS)


def probe(org_id: int, patient_id: int, candidates: Sequence[Candidate]) -> QuerySet[Any]:
    """One query for what the checks of ``find_conflicts`` read: the working hours of the
    practitioners and the opening hours of the locations, and the active appointments and
    blocks of the practitioners, rooms and patient that meet ``[min start, max end)``."""
    lo, hi = min(c.start for c in candidates), max(c.end for c in candidates)
    practitioners = {c.practitioner.pk for c in candidates}
    rooms = {c.room.pk for c in candidates}
    locations = {c.room.location_id for c in candidates}
    moving_ids = [c.moving.pk for c in candidates if c.moving is not None]
    busy = _branch(
        active_meeting(Appointment.objects.for_org(org_id), lo, hi)
        .filter(
            Q(practitioner_id__in=practitioners) | Q(room_id__in=rooms) | Q(patient_id=patient_id)
        )
        .exclude(pk__in=moving_ids),
        PROBE_APPOINTMENT,
        p_id="pk",
        p_practitioner="practitioner_id",
        p_room="room_id",
        p_patient="patient_id",
        p_start="start",
        p_end="end",
    )
    blocks = _branch(
        Block.objects.for_org(org_id)
        .filter(start__lt=hi, end__gt=lo)
        .filter(Q(practitioner_id__in=practitioners) | Q(room_id__in=rooms)),
        PROBE_BLOCK,
        p_id="pk",
        p_practitioner="practitioner_id",
        p_room="room_id",
        p_start="start",
        p_end="end",
    )
    working = _branch(
        WorkingHours.objects.for_org(org_id).filter(
            location_id__in=locations, membership_id__in=practitioners
        ),
        PROBE_WORKING,
        p_id="pk",
        p_practitioner="membership_id",
        p_location="location_id",
        p_weekday="weekday",
        p_opens="opens",
        p_closes="closes",
    )
    opening = _branch(
        OpeningHours.objects.filter(location_id__in=locations),
        PROBE_OPENING,
        p_id="pk",
        p_location="location_id",
        p_weekday="weekday",
        p_opens="opens",
        p_closes="closes",
    )
    return busy.union(blocks, working, opening, all=True)


def _check_hours(
    candidates: Sequence[Candidate],
    working: dict[tuple[int, int, int], list[tuple[dt.time, dt.time]]],
    opening: dict[tuple[int, int], list[tuple[dt.time, dt.time]]],
    has_opening: set[int],
    conflicts: Conflicts,
) -> None:
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
