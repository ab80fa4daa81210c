from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesocare.notify.quiet import QuietHours, parse_quiet_hours, quiet_until

NIGHT = QuietHours(dt.time(21), dt.time(8))
ROME = "Europe/Rome"


def utc(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (utc(2025, 6, 10, 19, 30), utc(2025, 6, 11, 6, 0)),  # 21:30 Rome (CEST) → 08:00 next day
        (utc(2025, 6, 10, 3, 0), utc(2025, 6, 10, 6, 0)),  # 05:00 Rome → 08:00 the same day
        (utc(2025, 6, 10, 6, 0), None),  # 08:00 sharp: allowed
        (utc(2025, 6, 10, 18, 59), None),  # 20:59: allowed
        (utc(2025, 1, 10, 20, 0), utc(2025, 1, 11, 7, 0)),  # winter (CET): 21:00 → 08:00
    ],
)
def test_messages_in_quiet_hours_wait_until_eight_local_time(now, expected):
    assert quiet_until(now, ROME, NIGHT) == expected


def test_quiet_hours_follow_the_daylight_saving_change():
    # 2025-03-30: Rome springs forward; 08:00 local is 06:00 UTC that morning.
    assert quiet_until(utc(2025, 3, 29, 21, 0), ROME, NIGHT) == utc(2025, 3, 30, 6, 0)


def test_parse_quiet_hours():
    assert parse_quiet_hours("21:00-08:00") == NIGHT
    assert parse_quiet_hours("") is None
    assert parse_quiet_hours("off") is None
    with pytest.raises(ValueError):
        parse_quiet_hours("9pm to 8am")


def test_a_daytime_window_does_not_cross_midnight():
    lunch = QuietHours(dt.time(12), dt.time(14))
    assert quiet_until(utc(2025, 6, 10, 12, 30), "UTC", lunch) == utc(2025, 6, 10, 14, 0)
    assert quiet_until(utc(2025, 6, 10, 11, 0), "UTC", lunch) is None
    assert quiet_until(utc(2025, 6, 10, 15, 0), "UTC", lunch) is None


@settings(suppress_health_check=[HealthCheck.too_slow], deadline=None)  # a loaded machine
@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_the_deferred_time_is_always_later_and_outside_quiet_hours(naive):
    now = naive.replace(tzinfo=dt.UTC)
    until = quiet_until(now, ROME, NIGHT)
    if until is not None:
        assert until > now
        assert until - now <= dt.timedelta(hours=12)
        assert quiet_until(until, ROME, NIGHT) is None
