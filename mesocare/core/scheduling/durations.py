"""The one allowed range for the length of an appointment, a protocol session or a waitlist
request, in minutes: every schema, form and service bound uses it."""

from __future__ import annotations

MIN_DURATION_MIN = 5
MAX_DURATION_MIN = 720  # twelve hours: a whole clinic day


def duration_ok(minutes: int) -> bool:
    return MIN_DURATION_MIN <= minutes <= MAX_DURATION_MIN
