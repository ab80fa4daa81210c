"""Arithmetic of the business reports (pure: no Django, no I/O).

- Local days and ISO weeks: a moment belongs to the day of the location's wall clock, so a
  visit at 23:30 local on the last day of a period is in the period whatever UTC says.
- Rates: a part over a whole, ``None`` when there is no whole (never a division by zero).
- Late cancellation: cancelled less than the policy's hours before the start.
- Deferred revenue of a package: what the patient paid for the sessions not used yet.
- Available minutes: weekly hours of each local day, minus time off, summed per ISO week.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

from mesocare.core.scheduling.calendars import BusyIndex, Interval, WeeklyHours, wall_minute

CENT = Decimal("0.01")


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The date of ``moment`` on the wall clock of ``tz`` (``moment`` must be aware)."""
    return moment.astimezone(tz).date()


def week_of(day: date) -> date:
    """The Monday of ``day``'s ISO week (the key of a weekly bucket)."""
    return day - timedelta(days=day.weekday())


def month_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def days(date_from: date, date_to: date) -> list[date]:
    """Every day from ``date_from`` to ``date_to``, both included."""
    return [date_from + timedelta(days=n) for n in range((date_to - date_from).days + 1)]


def rate(part: int | Decimal, whole: int | Decimal) -> float | None:
    """``part / whole`` or ``None`` when ``whole`` is zero."""
    return float(part) / float(whole) if whole else None


def is_late_cancellation(start: datetime, cancelled_at: datetime, late_hours: int) -> bool:
    """Cancelled less than ``late_hours`` before the start (after the start counts as late)."""
    return start - cancelled_at < timedelta(hours=late_hours)


def session_value(price: Decimal, sessions: int) -> Decimal:
    """The price of one session of a package (not rounded: rounding happens on totals)."""
    return price / sessions if sessions else Decimal(0)


def deferred_value(price: Decimal, sessions: int, used: int, paid: Decimal) -> Decimal:
    """Deferred revenue of a package: the paid money not yet earned by used sessions,
    ``max(0, min(paid, price) − used × price / sessions)``, rounded to the cent. A package paid
    by instalments earns its used sessions first: nothing is deferred until the payments
    exceed the value of the sessions already used."""
    if sessions <= 0 or price <= 0:
        return Decimal(0).quantize(CENT)
    used = max(0, min(used, sessions))
    paid = max(Decimal(0), min(paid, price))
    earned = session_value(price, sessions) * used
    return max(Decimal(0), paid - earned).quantize(CENT, rounding=ROUND_HALF_UP)


def available_minutes_by_week(
    hours: WeeklyHours,
    tz: ZoneInfo,
    date_from: date,
    date_to: date,
    time_off: Iterable[Interval] = (),
) -> dict[date, int]:
    """Minutes of ``hours`` on each local day of the period, less ``time_off``, per ISO week
    (keyed by its Monday; weeks cut by the period count only their days inside it). Days are
    converted with the zone's offset of that very day, so a DST day keeps its wall hours."""
    busy = BusyIndex(time_off)
    out: dict[date, int] = defaultdict(int)
    for day in days(date_from, date_to):
        spans = [
            (wall_minute(tz, day, start, ceil=True), wall_minute(tz, day, end))
            for start, end in hours.on(day)
        ]
        spans = [(s, e) for s, e in spans if s < e]
        free = busy.subtract_from(spans)
        out[week_of(day)] += sum(e - s for s, e in free)
    return dict(out)


def booked_minutes_by_week(
    booked: Iterable[Interval], tz: ZoneInfo, date_from: date, date_to: date
) -> dict[date, int]:
    """Minutes of the ``booked`` intervals per ISO week of their local start day, for those
    that start on a day of the period."""
    out: dict[date, int] = defaultdict(int)
    for interval in booked:
        day = local_day(interval.start, tz)
        if date_from <= day <= date_to:
            minutes = (interval.end - interval.start) // timedelta(minutes=1)
            out[week_of(day)] += int(minutes)
    return dict(out)
