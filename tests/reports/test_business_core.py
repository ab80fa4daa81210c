"""The arithmetic of the business reports: local days, late cancellations, deferred revenue and
available hours per week (worked examples and properties)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from mesocare.core.business import (
    available_minutes_by_week,
    booked_minutes_by_week,
    deferred_value,
    is_late_cancellation,
    local_day,
    rate,
    week_of,
)
from mesocare.core.scheduling import Interval, WeeklyHours

ROME = ZoneInfo("Europe/Rome")
UTC = dt.UTC


def test_a_visit_at_half_past_eleven_local_belongs_to_that_local_day() -> None:
    # 30 Nov 2026 23:30 in Milan is 22:30 UTC the same day; 1 Dec 00:30 is still 30 Nov in UTC.
    assert local_day(dt.datetime(2026, 11, 30, 22, 30, tzinfo=UTC), ROME) == dt.date(2026, 11, 30)
    assert local_day(dt.datetime(2026, 11, 30, 23, 30, tzinfo=UTC), ROME) == dt.date(2026, 12, 1)


def test_weeks_start_on_monday() -> None:
    assert week_of(dt.date(2026, 12, 6)) == dt.date(2026, 11, 30)  # a Sunday
    assert week_of(dt.date(2026, 11, 30)) == dt.date(2026, 11, 30)


def test_rates_have_no_division_by_zero() -> None:
    assert rate(0, 0) is None
    assert rate(1, 4) == 0.25


def test_late_cancellation_is_strictly_within_the_policy_hours() -> None:
    start = dt.datetime(2026, 11, 14, 9, 0, tzinfo=UTC)
    assert is_late_cancellation(start, start - dt.timedelta(hours=14), 24)
    assert not is_late_cancellation(start, start - dt.timedelta(hours=24), 24)
    assert is_late_cancellation(start, start + dt.timedelta(hours=1), 24)  # after the start


def test_deferred_revenue_worked_examples() -> None:
    price = Decimal("600.00")
    assert deferred_value(price, 6, 2, Decimal("600.00")) == Decimal("400.00")
    # Paid one instalment of three: the two used sessions have earned it all.
    assert deferred_value(price, 6, 2, Decimal("200.00")) == Decimal("0.00")
    assert deferred_value(price, 6, 1, Decimal("200.00")) == Decimal("100.00")
    # A price that does not divide: 100 / 3 sessions, one used → 66.67 deferred.
    assert deferred_value(Decimal("100.00"), 3, 1, Decimal("100.00")) == Decimal("66.67")
    assert deferred_value(price, 6, 6, price) == Decimal("0.00")


@given(
    price=st.decimals(min_value=1, max_value=10_000, places=2),
    sessions=st.integers(min_value=1, max_value=20),
    used=st.integers(min_value=0, max_value=20),
    paid=st.decimals(min_value=0, max_value=12_000, places=2),
)
def test_deferred_revenue_is_never_negative_nor_more_than_paid_or_unused(
    price: Decimal, sessions: int, used: int, paid: Decimal
) -> None:
    value = deferred_value(price, sessions, used, paid)
    assert Decimal(0) <= value <= min(paid, price)
    unused = max(0, sessions - used)
    assert value <= (price * unused / sessions).quantize(Decimal("0.01")) + Decimal("0.01")
    if used < sessions:
        assert deferred_value(price, sessions, used + 1, paid) <= value


NINE_TO_SIX = WeeklyHours.from_mapping({d: [(dt.time(9), dt.time(18))] for d in range(5)})


def test_available_hours_are_working_hours_less_time_off_per_week() -> None:
    # Mon 30 Nov – Sun 13 Dec 2026: ten working days of 9 h; a half day off on Wed 2 Dec.
    off = Interval(
        dt.datetime(2026, 12, 2, 13, 0, tzinfo=ROME), dt.datetime(2026, 12, 2, 20, 0, tzinfo=ROME)
    )
    weeks = available_minutes_by_week(
        NINE_TO_SIX, ROME, dt.date(2026, 11, 30), dt.date(2026, 12, 13), [off]
    )
    assert weeks == {dt.date(2026, 11, 30): 45 * 60 - 5 * 60, dt.date(2026, 12, 7): 45 * 60}


def test_a_dst_day_keeps_its_wall_clock_hours() -> None:
    # Sunday 29 March 2026 is 23 hours long in Rome; 09:00–18:00 is still 9 hours.
    hours = WeeklyHours.from_mapping({6: [(dt.time(9), dt.time(18))]})
    got = available_minutes_by_week(hours, ROME, dt.date(2026, 3, 29), dt.date(2026, 3, 29))
    assert got == {dt.date(2026, 3, 23): 9 * 60}


def test_booked_minutes_go_to_the_week_of_their_local_start_day() -> None:
    late = Interval(  # Sunday 6 Dec 23:30 local = 22:30 UTC: week of 30 Nov
        dt.datetime(2026, 12, 6, 22, 30, tzinfo=UTC), dt.datetime(2026, 12, 6, 23, 15, tzinfo=UTC)
    )
    outside = Interval(
        dt.datetime(2026, 12, 14, 9, 0, tzinfo=ROME), dt.datetime(2026, 12, 14, 10, 0, tzinfo=ROME)
    )
    got = booked_minutes_by_week(
        [late, outside], ROME, dt.date(2026, 11, 30), dt.date(2026, 12, 13)
    )
    assert got == {dt.date(2026, 11, 30): 45}


@given(
    days_off=st.lists(st.integers(min_value=0, max_value=13), max_size=5),
    hours=st.integers(min_value=0, max_value=10),
)
def test_time_off_never_adds_hours(days_off: list[int], hours: int) -> None:
    start = dt.date(2026, 11, 30)
    off = [
        Interval(
            dt.datetime.combine(start + dt.timedelta(days=d), dt.time(8), tzinfo=ROME),
            dt.datetime.combine(start + dt.timedelta(days=d), dt.time(8 + hours + 1), tzinfo=ROME),
        )
        for d in days_off
    ]
    full = available_minutes_by_week(NINE_TO_SIX, ROME, start, start + dt.timedelta(days=13))
    less = available_minutes_by_week(NINE_TO_SIX, ROME, start, start + dt.timedelta(days=13), off)
    assert set(less) == set(full)
    assert all(0 <= less[w] <= full[w] for w in full)
