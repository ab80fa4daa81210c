"""Template filters over `mesocare.lib.local_time`: `{% load local_time %}` then
`{{ session.started_at|local_datetime:session.location }}` → "07/12/2026 09:00 CET".
Without an argument the request's zone is used (the member's location on staff pages)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template

from mesocare.lib import local_time

register = template.Library()


@register.filter
def local_datetime(value: dt.datetime | None, where: Any = None) -> str:
    return local_time.format_datetime(value, where)


@register.filter
def local_datetime_long(value: dt.datetime | None, where: Any = None) -> str:
    return local_time.format_datetime(value, where, "DATETIME_FORMAT")


@register.filter
def local_date(value: dt.datetime | dt.date | None, where: Any = None) -> str:
    return local_time.format_date(value, where)


@register.filter
def local_clock(value: dt.datetime | None, where: Any = None) -> str:
    return local_time.format_time(value, where)


@register.filter
def local_clock_zone(value: dt.datetime | None, where: Any = None) -> str:
    return local_time.format_time(value, where, zone=True)


@register.filter
def zone_name(value: dt.datetime | None, where: Any = None) -> str:
    return local_time.zone_abbreviation(value, where) if value is not None else ""
