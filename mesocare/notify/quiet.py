"""Quiet hours: no message reaches a patient at night, local time. Pure functions (no Django)."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass


@dataclass(frozen=True)
class QuietHours:
    start: dt.time
    end: dt.time

    def contains(self, local: dt.time) -> bool:
        if self.start == self.end:
            return False
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # the window crosses midnight


def parse_quiet_hours(spec: str) -> QuietHours | None:
    """'21:00-08:00' → QuietHours; '' or 'off' → None. Raises ValueError on anything else."""
    spec = spec.strip()
    if spec.lower() in {"", "off", "none"}:
        return None
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in spec.split("-"))
    except ValueError as exc:
        raise ValueError(f"quiet hours {spec!r}: expected HH:MM-HH:MM") from exc
    return QuietHours(start, end)


def quiet_until(now: dt.datetime, tz_name: str, quiet: QuietHours | None) -> dt.datetime | None:
    """The aware instant quiet hours end if `now` falls inside them at `tz_name`, else None."""
    if quiet is None:
        return None
    tz = zoneinfo.ZoneInfo(tz_name)
    local = now.astimezone(tz)
    if not quiet.contains(local.time()):
        return None
    end_day = local.date()
    if local.time() >= quiet.end:  # evening part of a window that ends tomorrow morning
        end_day += dt.timedelta(days=1)
    return dt.datetime.combine(end_day, quiet.end, tzinfo=tz).astimezone(dt.UTC)
