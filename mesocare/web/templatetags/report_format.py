"""Filters of the business report pages: months, weeks, rates and hours as people read them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import template
from django.utils import formats

register = template.Library()


@register.filter
def month_label(key: str) -> str:
    """ "2026-12" → "December 2026" (in the active language)."""
    try:
        year, month = (int(part) for part in str(key).split("-"))
        return formats.date_format(dt.date(year, month, 1), "YEAR_MONTH_FORMAT")
    except ValueError:
        return str(key)


@register.filter
def percent(value: Any) -> str:
    """A rate (0.25) as "25.0 %"; "—" when there is none."""
    if value is None:
        return "—"
    return f"{formats.number_format(round(float(value) * 100, 1), 1)} %"


@register.filter
def hours(minutes: Any) -> str:
    """Minutes as hours with one decimal ("7.5 h")."""
    return f"{formats.number_format(round((minutes or 0) / 60, 1), 1)} h"
