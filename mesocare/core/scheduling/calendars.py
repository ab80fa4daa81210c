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

from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo

Span = tuple[int, int]  # [start, end) in epoch minutes
Hours = tuple[tuple[time, time], ...]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MINUTE = timedelta(minutes=1)


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
    """Merged, sorted busy spans (epoch minutes) with parallel start/end lists for ``bisect``."""

    def __init__(self, intervals: Iterable[Interval]) -> None:
        spans = sorted((to_minute(i.start), to_minute(i.end, ceil=True)) for i in intervals)
        merged: list[list[int]] = []
        for start, end in spans:
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [s for s, _ in merged]
        self.ends = [e for _, e in merged]

    def subtract_from(self, spans: list[Span]) -> list[Span]:
        out: list[Span] = []
        starts, ends, count = self.starts, self.ends, len(self.starts)
        for start, end in spans:
            i = bisect_right(ends, start)  # first busy span ending after ``start``
            while i < count and starts[i] < end:
                if starts[i] > start:
                    out.append((start, starts[i]))
                start = max(start, ends[i])
                i += 1
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
