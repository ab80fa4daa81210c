"""The lazy busy index subtracts exactly the minutes that some busy interval touches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from mesocare.core.scheduling import Interval
from mesocare.core.scheduling.calendars import BusyIndex, Span, to_minute

BASE = datetime(2025, 3, 28, 8, tzinfo=UTC)
BASE_MINUTE = to_minute(BASE)

# Busy intervals with second precision (rounded outwards to whole minutes by the index),
# including long ones that start before a window and cover it.
busy_intervals = st.lists(
    st.tuples(st.integers(0, 600 * 60), st.integers(1, 300 * 60)).map(
        lambda t: Interval(BASE + timedelta(seconds=t[0]), BASE + timedelta(seconds=sum(t)))
    ),
    max_size=25,
)


@st.composite
def disjoint_spans(draw: st.DrawFn) -> list[Span]:
    cuts = sorted(set(draw(st.lists(st.integers(0, 700), max_size=8))))
    spans = [
        (BASE_MINUTE + a, BASE_MINUTE + b) for a, b in zip(cuts[::2], cuts[1::2], strict=False)
    ]
    return [(a, b) for a, b in spans if a < b]


def minutes(spans: list[Span]) -> set[int]:
    return {m for a, b in spans for m in range(a, b)}


def busy_minutes(intervals: list[Interval]) -> set[int]:
    return {m for i in intervals for m in range(to_minute(i.start), to_minute(i.end, ceil=True))}


@given(busy_intervals, disjoint_spans())
def test_subtraction_removes_exactly_the_busy_minutes(
    intervals: list[Interval], spans: list[Span]
) -> None:
    out = BusyIndex(intervals).subtract_from(spans)
    assert minutes(out) == minutes(spans) - busy_minutes(intervals)
    assert all(a < b for a, b in out)
    assert all(left[1] <= right[0] for left, right in zip(out, out[1:], strict=False))


def test_a_long_leave_that_started_weeks_before_still_covers_the_day() -> None:
    leave = Interval(BASE - timedelta(days=20), BASE + timedelta(days=3))
    short = Interval(BASE - timedelta(days=19), BASE - timedelta(days=19, minutes=-30))
    day = [(BASE_MINUTE + 60, BASE_MINUTE + 600)]
    assert BusyIndex([short, leave]).subtract_from(day) == []
    assert BusyIndex([short]).subtract_from(day) == day
