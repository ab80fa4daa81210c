"""Course placement with a calendar-month minimum gap (``gap_min_months``): one month after
31 January is 28/29 February, after 1 March it is 1 April, and the placement stays optimal
(checked against CP-SAT with dateutil's month arithmetic)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mesocare.core.planning import CourseRules, propose_course
from mesocare.core.scales import ScoreResult
from mesocare.core.scheduling import (
    CourseRequest,
    GapRule,
    Interval,
    PractitionerCalendar,
    RoomCalendar,
    WeeklyHours,
    place_course,
)

ROME = ZoneInfo("Europe/Rome")
EVERY_DAY = WeeklyHours.from_mapping({d: [(time(9), time(17))] for d in range(7)})
MONTHLY = dict(gap_min=28, gap_target=28, gap_max=60, gap_min_months=1)


def place(first: date, sessions: int, practitioners: tuple[PractitionerCalendar, ...] = ()):  # type: ignore[no-untyped-def]
    request = CourseRequest((timedelta(minutes=30),) * sessions, first, horizon_days=200, **MONTHLY)
    practitioners = practitioners or (PractitionerCalendar("p", EVERY_DAY, frozenset(), ()),)
    return place_course(request, practitioners, (), (), ROME)


def days_of(result: Any) -> list[date]:
    return [s.start.astimezone(ROME).date() for s in result.proposals[0].sessions]


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        (date(2025, 1, 31), [date(2025, 2, 28), date(2025, 3, 28)]),
        (date(2024, 1, 31), [date(2024, 2, 29), date(2024, 3, 29)]),
        (date(2025, 3, 1), [date(2025, 4, 1), date(2025, 5, 1)]),
    ],
)
def test_sessions_fall_one_calendar_month_apart(first: date, expected: list[date]) -> None:
    result = place(first, 3)
    assert days_of(result) == [first, *expected]
    assert result.proposals[0].deviation_days == 0


def test_a_day_off_on_the_month_date_starts_the_course_a_day_later_at_no_deviation() -> None:
    """28 February is off: 1 February -> 1 March keeps the month exactly (never 27 Feb)."""
    off = PractitionerCalendar("p", EVERY_DAY, frozenset({date(2025, 2, 28)}), ())
    result = place(date(2025, 1, 31), 2, (off,))
    assert days_of(result) == [date(2025, 2, 1), date(2025, 3, 1)]
    assert result.proposals[0].deviation_days == 0


@settings(max_examples=200, deadline=None)
@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1)))
def test_each_session_is_the_planning_engines_calendar_month_date(start: date) -> None:
    rules = CourseRules(
        scale_id="cr-smfrs",
        sessions_by_band={"moderate": 2},
        interval_min_days=28,
        interval_target_days=28,
        interval_max_days=60,
        interval_min_months=1,
        responder_min_improvement=Decimal(1),
    )
    planned = propose_course(rules, ScoreResult("cr-smfrs", Decimal(2), "moderate"), start)
    assert GapRule(28, 28, 60, 1).earliest(start) == planned.planned_sessions[1].earliest
    assert days_of(place(start, 2))[1] == planned.planned_sessions[1].earliest


@st.composite
def monthly_clinics(draw: st.DrawFn) -> Any:
    tz = ZoneInfo(draw(st.sampled_from(("Europe/Rome", "UTC"))))
    first = draw(
        st.sampled_from(
            (date(2025, 1, 29), date(2025, 1, 31), date(2024, 1, 30), date(2025, 3, 1),
             date(2025, 10, 1), date(2025, 4, 30))
        )
    )  # fmt: skip
    sessions = tuple(timedelta(minutes=30) for _ in range(draw(st.integers(2, 3))))
    gap_min = draw(st.integers(20, 28))
    gap_target = gap_min + draw(st.integers(0, 4))
    gap_max = gap_target + draw(st.integers(0, 5))
    horizon = draw(st.integers(35, 40 * len(sessions)))
    weekdays = draw(st.sets(st.integers(0, 6), min_size=2, max_size=7))
    practitioners = tuple(
        PractitionerCalendar(
            f"p{n}",
            WeeklyHours.from_mapping(
                {d: [(time(draw(st.integers(8, 12))), time(17))] for d in weekdays}
            ),
            frozenset(
                first + timedelta(days=d)
                for d in draw(st.sets(st.integers(0, horizon - 1), max_size=12))
            ),
            (),
        )
        for n in range(draw(st.integers(1, 2)))
    )
    busy = tuple(
        Interval(
            datetime.combine(first + timedelta(days=d), time(9), tzinfo=tz).astimezone(UTC),
            datetime.combine(first + timedelta(days=d), time(13), tzinfo=tz).astimezone(UTC),
        )
        for d in draw(st.sets(st.integers(0, horizon - 1), max_size=6))
    )
    request = CourseRequest(
        sessions,
        first,
        gap_min,
        gap_target,
        gap_max,
        same_practitioner=draw(st.booleans()),
        horizon_days=horizon,
        granularity_min=60,
        gap_min_months=1,
    )
    return _Clinic(request, practitioners, (), busy, tz)


@dataclass(frozen=True)
class _Clinic:
    request: CourseRequest
    practitioners: tuple[PractitionerCalendar, ...]
    rooms: tuple[RoomCalendar, ...]
    patient_busy: tuple[Interval, ...]
    tz: ZoneInfo


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinic=monthly_clinics())
def test_monthly_optimum_and_infeasibility_agree_with_cpsat(clinic: Any, reference: Any) -> None:
    pytest.importorskip("ortools")
    found = reference.candidates(clinic)
    expected = reference.cpsat_optimum(clinic, found)
    result = place_course(
        clinic.request, clinic.practitioners, clinic.rooms, clinic.patient_busy, clinic.tz
    )
    event(f"feasible: {expected is not None}")
    if expected is None:
        assert result.proposals == ()
    else:
        assert reference.objective(result.proposals[0]) == expected
        if result.relaxation is None:
            days = [s.start.astimezone(clinic.tz).date() for s in result.proposals[0].sessions]
            rule = GapRule(28, 28, 60, 1)
            assert all(b >= rule.earliest(a) for a, b in zip(days, days[1:], strict=False))
