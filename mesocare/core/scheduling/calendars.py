"""Calendars as the scheduler receives them, and their conversion to integer minutes.

Working and opening hours are local wall-clock times; each day they are turned into UTC instants
with ``zoneinfo`` for that very date, so a 09:00-18:00 day is 9 h long on either side of a DST
switch and the hours move with the offset. A wall time inside a spring-forward gap resolves as
PEP 495 says (fold=0: the offset in force before the switch); during an autumn repeat it means the
first occurrence.

Internally every instant is an integer count of minutes since the Unix epoch (UTC): interval
arithmetic on ints is exact and several times faster than on aware datetimes. Busy intervals
are rounded outwards and hours inwards to whole minutes, so rounding never creates free time.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from itertools import accumulate
from operator import attrgetter, le
from zoneinfo import ZoneInfo

Span = tuple[int, int]  # [start, end) in epoch minutes
Hours = tuple[tuple[time, time], ...]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)
_START = attrgetter("start")
_END = attrgetter("end")


@dataclass(frozen=True)
class Interval:
    """A half-open span of time ``[start, end)`` between two aware datetimes."""

    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("Interval needs timezone-aware datetimes")
        if not self.start < self.end:
            raise ValueError("Interval must end after it starts")


@dataclass(frozen=True)
class WeeklyHours:
    """Local (start, end) intervals per weekday, index 0 = Monday; breaks are the gaps."""

    days: tuple[Hours, Hours, Hours, Hours, Hours, Hours, Hours]

    def __post_init__(self) -> None:
        for hours in self.days:
            for i, (start, end) in enumerate(hours):
                if not start < end:
                    raise ValueError(f"hours {start}-{end} must end after they start")
                if i and start < hours[i - 1][1]:
                    raise ValueError("hours of a day must be sorted and must not overlap")

    @classmethod
    def from_mapping(cls, hours: Mapping[int, Iterable[tuple[time, time]]]) -> WeeklyHours:
        """Build from ``{weekday: [(start, end), ...]}``; missing weekdays are days off."""
        d = [tuple(sorted(hours.get(weekday, ()))) for weekday in range(7)]
        return cls((d[0], d[1], d[2], d[3], d[4], d[5], d[6]))

    def on(self, day: date) -> Hours:
        return self.days[day.weekday()]


class BusyIndex:
    """Busy intervals, converted to epoch minutes lazily: only those a query window meets.

    Building it costs a few C-level passes (sort by start, running maximum of the ends), so a
    calendar of tens of thousands of appointments is ready at once and a search pays the
    minute conversion only for the days it visits. ``reach[k]`` is the latest end among the
    first ``k + 1`` intervals: the intervals before the first ``reach`` past a window's start
    all end before it, which makes both bounds of the window a ``bisect``.
    """

    def __init__(self, intervals: Iterable[Interval]) -> None:
        self._ordered = sorted(intervals, key=_START)
        ends = list(map(_END, self._ordered))
        # Disjoint appointments end in start order: then the ends are their own running maximum.
        self._reach = ends if all(map(le, ends, ends[1:])) else list(accumulate(ends, max))

    def _merged(self, lo: int, hi: int) -> list[list[int]]:
        """The busy spans (merged, in minutes) of the intervals that meet ``[lo, hi)``."""
        first = bisect_right(self._reach, from_minute(lo))
        last = bisect_left(self._ordered, from_minute(hi), lo=first, key=_START)
        merged: list[list[int]] = []
        for interval in self._ordered[first:last]:
            start, end = to_minute(interval.start), to_minute(interval.end, ceil=True)
            if end <= lo:
                continue
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        return merged

    def subtract_from(self, spans: list[Span]) -> list[Span]:
        """``spans`` (sorted, disjoint) minus the busy time."""
        if not spans or not self._ordered:
            return list(spans)
        busy = self._merged(spans[0][0], spans[-1][1])
        out: list[Span] = []
        i, count = 0, len(busy)
        for start, end in spans:
            while i < count and busy[i][1] <= start:
                i += 1
            k = i
            while k < count and busy[k][0] < end:
                if busy[k][0] > start:
                    out.append((start, busy[k][0]))
                start = max(start, busy[k][1])
                k += 1
            if start < end:
                out.append((start, end))
        return out


@dataclass(frozen=True)
class PractitionerCalendar:
    id: str
    weekly_hours: WeeklyHours
    days_off: frozenset[date] = frozenset()
    busy: tuple[Interval, ...] = ()

    @cached_property
    def busy_index(self) -> BusyIndex:
        """Built once per calendar object, then shared by every search that uses it."""
        return BusyIndex(self.busy)


@dataclass(frozen=True)
class RoomCalendar:
    id: str
    kind: str
    weekly_hours: WeeklyHours  # opening hours
    busy: tuple[Interval, ...] = ()

    @cached_property
    def busy_index(self) -> BusyIndex:
        return BusyIndex(self.busy)


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    practitioner_id: str
    room_id: str | None


def to_minute(moment: datetime, *, ceil: bool = False) -> int:
    """Minutes since the epoch, floored (or ceiled) to a whole minute."""
    if ceil:
        return -((_EPOCH - moment) // _MINUTE)
    return (moment - _EPOCH) // _MINUTE


def from_minute(minute: int) -> datetime:
    return _EPOCH + timedelta(minutes=minute)


@lru_cache(maxsize=65536)
def wall_minute(tz: ZoneInfo, day: date, moment: time, *, ceil: bool = False) -> int:
    """The epoch minute at which local wall time ``moment`` of ``day`` happens."""
    return to_minute(datetime.combine(day, moment, tzinfo=tz), ceil=ceil)
