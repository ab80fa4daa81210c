"""Free time of practitioners, rooms and a patient on a local-time grid, DST-correct."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .calendars import (
    BusyIndex,
    Hours,
    Interval,
    PractitionerCalendar,
    RoomCalendar,
    Slot,
    Span,
    from_minute,
    to_minute,
    wall_minute,
)

_MINUTE = timedelta(minutes=1)
_DAY = timedelta(days=1)


def intersect(left: list[Span], right: list[Span]) -> list[Span]:
    out: list[Span] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start, end = max(left[i][0], right[j][0]), min(left[i][1], right[j][1])
        if start < end:
            out.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return out


class AvailabilityIndex:
    """Per-day free spans of each practitioner (and room), computed on demand and memoized.

    A session of practitioner ``p`` may start at a grid minute ``s`` iff ``[s, s + duration)``
    lies inside one free span of ``p`` intersected with one free span of a single room (of
    ``room_kind``). Free means: inside working/opening hours of that local date, not busy,
    the patient not busy, inside the time-of-day window and not before ``not_before``.
    ``rooms=()`` means rooms are not modelled (room id ``None``); otherwise a room is required.
    Practitioners and rooms are sorted by id, which makes every tie-break deterministic.
    """

    def __init__(
        self,
        practitioners: Sequence[PractitionerCalendar],
        rooms: Sequence[RoomCalendar],
        patient_busy: Iterable[Interval],
        tz: ZoneInfo,
        *,
        window: tuple[time, time] | None = None,
        room_kind: str | None = None,
        granularity_min: int = 5,
        not_before: datetime | None = None,
    ) -> None:
        if granularity_min < 1:
            raise ValueError("granularity must be at least one minute")
        if window is not None and not window[0] < window[1]:
            raise ValueError("the time-of-day window must end after it starts")
        self.practitioners = sorted(practitioners, key=lambda p: p.id)
        self.rooms = sorted((r for r in rooms if room_kind in (None, r.kind)), key=lambda r: r.id)
        self.rooms_modelled = bool(rooms)
        self.tz = tz
        self.window = window
        self.granularity = granularity_min
        self._not_before = None if not_before is None else to_minute(not_before, ceil=True)
        self._practitioner_busy = [p.busy_index for p in self.practitioners]
        self._room_busy = [r.busy_index for r in self.rooms]
        self._patient_busy = BusyIndex(patient_busy)
        self._spans: dict[tuple[int, date], list[tuple[int | None, list[Span]]]] = {}
        self._earliest: dict[tuple[int, date, int], tuple[int, int | None] | None] = {}
        self._rooms_free: dict[tuple[int, date], list[Span]] = {}
        # Per-day conversions shared by every practitioner: zoneinfo lookups are the slow part.
        self._wall_hours: dict[tuple[Hours, date], list[Span]] = {}
        self._limits: dict[date, list[Span]] = {}
        self._offsets: dict[date, int] = {}

    def midnight(self, day: date) -> int:
        return wall_minute(self.tz, day, time())

    def _hours(self, hours: Hours, day: date) -> list[Span]:
        """Hours of ``day`` as epoch spans; touching intervals (9-13, 13-18) become one."""
        key = (hours, day)
        cached = self._wall_hours.get(key)
        if cached is not None:
            return cached
        tz = self.tz
        out: list[Span] = []
        for a, b in hours:
            start, end = wall_minute(tz, day, a, ceil=True), wall_minute(tz, day, b)
            if out and start <= out[-1][1]:
                out[-1] = (out[-1][0], max(out[-1][1], end))
            elif start < end:
                out.append((start, end))
        self._wall_hours[key] = out
        return out

    def _room_free(self, r: int, day: date) -> list[Span]:
        key = (r, day)
        cached = self._rooms_free.get(key)
        if cached is None:
            opening = self._hours(self.rooms[r].weekly_hours.on(day), day)
            cached = self._rooms_free[key] = self._room_busy[r].subtract_from(opening)
        return cached

    def _limit(self, day: date) -> list[Span]:
        cached = self._limits.get(day)
        if cached is not None:
            return cached
        if self.window is None:
            start, end = self.midnight(day), self.midnight(day + _DAY)
        else:
            start, end = self._hours((self.window,), day)[0]
        if self._not_before is not None:
            start = max(start, self._not_before)
        limit = self._limits[day] = [(start, end)] if start < end else []
        return limit

    def spans(self, p: int, day: date) -> list[tuple[int | None, list[Span]]]:
        """Free spans of practitioner ``p`` on ``day``, per usable room (or ``None``)."""
        key = (p, day)
        cached = self._spans.get(key)
        if cached is not None:
            return cached
        calendar = self.practitioners[p]
        free: list[Span] = []
        if day not in calendar.days_off:
            free = intersect(self._hours(calendar.weekly_hours.on(day), day), self._limit(day))
            free = self._patient_busy.subtract_from(self._practitioner_busy[p].subtract_from(free))
        result: list[tuple[int | None, list[Span]]]
        if not self.rooms_modelled:
            result = [(None, free)]
        else:
            result = [(r, intersect(free, self._room_free(r, day))) for r in range(len(self.rooms))]
        self._spans[key] = result
        return result

    def _offset(self, day: date) -> int:
        """Shift that puts the grid on local wall-clock multiples of the granularity."""
        offset = self._offsets.get(day)
        if offset is None:
            noon = datetime.combine(day, time(12), tzinfo=self.tz).utcoffset() or timedelta()
            offset = self._offsets[day] = (noon // _MINUTE) % self.granularity
        return offset

    def earliest(self, p: int, day: date, duration: int) -> tuple[int, int | None] | None:
        """Earliest grid start (epoch minute) and room index of a ``duration``-minute session."""
        key = (p, day, duration)
        if key in self._earliest:
            return self._earliest[key]
        grid, offset = self.granularity, self._offset(day)
        best: tuple[int, int | None] | None = None
        for room, free in self.spans(p, day):
            for start, end in free:
                slot = start + (-(start + offset)) % grid
                if slot + duration <= end:
                    if best is None or slot < best[0]:
                        best = (slot, room)
                    break
        self._earliest[key] = best
        return best

    def starts(self, p: int, day: date, duration: int) -> Iterator[tuple[int, int | None]]:
        """Every grid start on ``day`` in time order, each with the first free room."""
        grid, offset = self.granularity, self._offset(day)
        found: dict[int, int | None] = {}
        for room, free in self.spans(p, day):
            for start, end in free:
                slot = start + (-(start + offset)) % grid
                for s in range(slot, end - duration + 1, grid):
                    found.setdefault(s, room)
        for s in sorted(found):
            yield s, found[s]


def free_slots(
    practitioner: PractitionerCalendar,
    rooms: Sequence[RoomCalendar],
    patient_busy: Sequence[Interval],
    tz: ZoneInfo,
    date_from: date,
    date_to: date,
    duration: timedelta,
    window: tuple[time, time] | None = None,
    granularity_min: int = 5,
    room_kind: str | None = None,
) -> list[Slot]:
    """Every bookable start for one practitioner on local dates ``date_from..date_to``.

    Starts lie on a ``granularity_min`` grid of local wall-clock time; each slot names the first
    free room by id (``None`` when ``rooms`` is empty, i.e. rooms are not modelled).
    """
    minutes = duration // _MINUTE
    if minutes < 1 or duration % _MINUTE:
        raise ValueError("duration must be a positive whole number of minutes")
    index = AvailabilityIndex(
        [practitioner],
        rooms,
        patient_busy,
        tz,
        window=window,
        room_kind=room_kind,
        granularity_min=granularity_min,
    )
    slots: list[Slot] = []
    day = date_from
    while day <= date_to:
        for start, room in index.starts(0, day, minutes):
            slots.append(
                Slot(
                    from_minute(start),
                    from_minute(start + minutes),
                    practitioner.id,
                    None if room is None else index.rooms[room].id,
                )
            )
        day += _DAY
    return slots
