"""The one way a date-time is shown to a person: in the location's zone, with the zone's name.

Every date-time is stored in UTC. A medico-legal record (session header and PDF, signatures,
appointments, assessment history, messages, exports) must read as the clinic's wall clock, and
say which clock: "7 Dec 2026 09:00 CET". Pages, PDFs, plain-text messages and CSV cells all go
through `format_datetime` / `format_time` (templates through the `local_time` filters in
`mesocare.web.templatetags.local_time`).

`where` is anything that names a zone: a Location (its `.tz`), an object with a `.location`
(session, appointment), a `ZoneInfo`, an IANA name such as "Europe/Rome", or None for the zone
active in this request (staff pages activate the zone of the member's location).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.utils import dateformat, formats, timezone

DATETIME = "SHORT_DATETIME_FORMAT"
DATE = "SHORT_DATE_FORMAT"
LONG_DATE = "DATE_FORMAT"


def zone_of(where: Any = None) -> dt.tzinfo:
    """The time zone `where` names (see the module docstring)."""
    if where is None or where == "":
        return timezone.get_current_timezone()
    if isinstance(where, dt.tzinfo):
        return where
    if isinstance(where, str):
        return zoneinfo.ZoneInfo(where)
    tz = getattr(where, "tz", None)
    if isinstance(tz, dt.tzinfo):
        return tz
    name = getattr(where, "timezone", None)
    if isinstance(name, str) and name:
        return zoneinfo.ZoneInfo(name)
    location = getattr(where, "location", None)
    if location is not None:
        return zone_of(location)
    return timezone.get_current_timezone()


def localize(value: dt.datetime, where: Any = None) -> dt.datetime:
    """`value` on the wall clock of `where` (a naive value is taken as UTC)."""
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(zone_of(where))


def zone_abbreviation(value: dt.datetime, where: Any = None) -> str:
    """ "CET", "CEST", "GMT"… (zones without a letter abbreviation give their offset, "+04")."""
    return localize(value, where).tzname() or ""


def format_datetime(
    value: dt.datetime | None, where: Any = None, fmt: str = DATETIME, *, zone: bool = True
) -> str:
    """`value` as the person at `where` reads it, with the zone's abbreviation; "" for None."""
    if value is None:
        return ""
    if not isinstance(value, dt.datetime):
        return formats.date_format(value, DATE)
    local = localize(value, where)
    # A clinical record reads the 24-hour clock in every language ("12/01/2026 09:00 CET").
    day_format = LONG_DATE if fmt in ("DATETIME_FORMAT", LONG_DATE) else DATE
    text = f"{formats.date_format(local, day_format)} {formats.time_format(local, 'H:i')}"
    return f"{text} {local.tzname()}" if zone and local.tzname() else text


def format_pattern(value: dt.datetime, where: Any, pattern: str, *, zone: bool = True) -> str:
    """`value` on the wall clock of `where` in a date-format pattern ("l j F Y, H:i" for
    messages to patients), followed by the zone's abbreviation."""
    local = localize(value, where)
    text = dateformat.format(local, pattern)
    return f"{text} {local.tzname()}" if zone and local.tzname() else text


def format_time(value: dt.datetime | None, where: Any = None, *, zone: bool = False) -> str:
    """The local clock time ("09:00", or "09:00 CET" with `zone`)."""
    if value is None:
        return ""
    local = localize(value, where)
    text = formats.time_format(local, "H:i")
    return f"{text} {local.tzname()}" if zone and local.tzname() else text


def format_date(value: dt.datetime | dt.date | None, where: Any = None, fmt: str = DATE) -> str:
    """The local calendar day of a date-time (or a plain date as it is)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = localize(value, where)
    return formats.date_format(value, fmt)


def local_day(value: dt.datetime, where: Any = None) -> dt.date:
    return localize(value, where).date()
