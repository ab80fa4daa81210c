"""Properties of ``place_course`` over random small clinics, and optimality against CP-SAT.

Instances are small (1-4 sessions, 1-3 practitioners, 10-30 days, a 30-minute grid) so that the
brute-force oracle and CP-SAT stay fast; the zones and start dates straddle DST switches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from mesocare.core.scheduling import (
    CourseRequest,
    CourseResult,
    Infeasibility,
    Interval,
    PractitionerCalendar,
    RoomCalendar,
    WeeklyHours,
    place_course,
)

ZONES = ("Europe/Rome", "America/New_York", "UTC")
STARTS = (
    date(2025, 3, 24),
    date(2025, 3, 3),
    date(2025, 10, 20),
    date(2025, 10, 27),
    date(2025, 6, 2),
)
KINDS = ("facial", "body")
FAST = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
SOLVER = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass(frozen=True)
class Clinic:
    request: CourseRequest
    practitioners: tuple[PractitionerCalendar, ...]
    rooms: tuple[RoomCalendar, ...]
    patient_busy: tuple[Interval, ...]
    tz: ZoneInfo

    def place(self, alternatives: int = 0) -> CourseResult:
        return place_course(
            self.request, self.practitioners, self.rooms, self.patient_busy, self.tz, alternatives
        )


def _wall(minute: int) -> time:
    return time(minute // 60, minute % 60)


@st.composite
def weekly_hours(draw: st.DrawFn, fewest: int, most: int) -> WeeklyHours:
    days: dict[int, list[tuple[time, time]]] = {}
    for weekday in draw(st.sets(st.integers(0, 6), min_size=fewest, max_size=most)):
        start = draw(st.integers(7 * 12, 11 * 12)) * 5  # minutes, off the 15-min grid at times
        end = start + draw(st.integers(3, 10)) * 60
        if draw(st.booleans()):  # a break
            pause = draw(st.integers(start + 60, end - 45))
            days[weekday] = [(_wall(start), _wall(pause)), (_wall(pause + 30), _wall(end))]
        else:
            days[weekday] = [(_wall(start), _wall(end))]
    return WeeklyHours.from_mapping(days)


@st.composite
def busy(draw: st.DrawFn, tz: ZoneInfo, first: date, horizon: int, most: int) -> tuple:
    intervals = []
    for _ in range(draw(st.integers(0, most))):
        day = first + timedelta(days=draw(st.integers(0, horizon - 1)))
        start = datetime.combine(day, time(), tzinfo=tz) + timedelta(
            minutes=draw(st.integers(7 * 12, 19 * 12)) * 5
        )
        length = timedelta(minutes=draw(st.integers(2, 36)) * 5)
        intervals.append(Interval(start.astimezone(UTC), (start + length).astimezone(UTC)))
    return tuple(intervals)


@st.composite
def clinics(draw: st.DrawFn, openings: int = 6, tight: bool = False) -> Clinic:
    """A random clinic; ``tight`` (one fixed gap, few working weekdays) is often infeasible."""
    tz = ZoneInfo(draw(st.sampled_from(ZONES)))
    first = draw(st.sampled_from(STARTS))
    sessions = tuple(
        timedelta(minutes=15 * draw(st.integers(1, 4))) for _ in range(draw(st.integers(1, 4)))
    )
    gap_min = draw(st.integers(1, 4))
    gap_target = gap_min if tight else gap_min + draw(st.integers(0, 4))
    gap_max = gap_target if tight else gap_target + draw(st.integers(0, 4))
    # A horizon barely longer than the course stops the optimum from just starting later.
    snug = (len(sessions) - 1) * gap_target + 1
    horizon = draw(st.one_of(st.integers(10, 30), st.integers(snug, snug + 6)))
    practitioners = tuple(
        PractitionerCalendar(
            f"p{n}",
            draw(weekly_hours(min(2, openings), openings)),
            frozenset(
                first + timedelta(days=d)
                for d in draw(st.sets(st.integers(0, horizon - 1), max_size=6))
            ),
            draw(busy(tz, first, horizon, 25)),
        )
        for n in draw(st.permutations(range(draw(st.integers(1, 3)))))
    )
    rooms = tuple(
        RoomCalendar(
            f"r{n}",
            draw(st.sampled_from(KINDS)),
            draw(weekly_hours(5, 7)),
            draw(busy(tz, first, horizon, 10)),
        )
        for n in range(draw(st.integers(0, 2)))
    )
    kinds = sorted({room.kind for room in rooms})
    window = None
    if draw(st.booleans()):
        start = draw(st.integers(16, 26)) * 30
        window = (_wall(start), _wall(start + draw(st.integers(2, 10)) * 30))
    earliest: date | datetime = first
    if draw(st.booleans()):
        earliest = datetime.combine(first, _wall(draw(st.integers(8, 16)) * 60), tzinfo=tz)
    request = CourseRequest(
        sessions,
        earliest,
        gap_min,
        gap_target,
        gap_max,
        window=window,
        room_kind=draw(st.sampled_from((None, *kinds))) if rooms else None,
        same_practitioner=draw(st.booleans()),
        horizon_days=horizon,
        granularity_min=30,
    )
    return Clinic(request, practitioners, rooms, draw(busy(tz, first, horizon, 5)), tz)


@FAST
@given(clinic=clinics())
def test_every_proposal_respects_every_constraint(clinic: Clinic, reference: Any) -> None:
    request, tz = clinic.request, clinic.tz
    result = clinic.place(alternatives=2)
    first = reference.first_day(clinic)
    practitioners = {p.id: p for p in clinic.practitioners}
    seen = set()
    for proposal in result.proposals:
        days = [s.start.astimezone(tz).date() for s in proposal.sessions]
        gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
        assert all(request.gap_min <= g <= request.gap_max for g in gaps)
        assert proposal.deviation_days == sum(abs(g - request.gap_target) for g in gaps)
        assert first <= days[0] and days[-1] < first + timedelta(days=request.horizon_days)
        assert proposal.finish == proposal.sessions[-1].end
        if request.same_practitioner:
            assert len({s.practitioner_id for s in proposal.sessions}) == 1
        for session, duration in zip(proposal.sessions, request.sessions, strict=True):
            assert session.end - session.start == duration
            room = reference.fits(
                clinic, practitioners[session.practitioner_id], session.start, duration
            )
            assert room == (session.room_id or "")
        assert tuple(days) not in seen
        seen.add(tuple(days))
    objectives = [reference.objective(p) for p in result.proposals]
    assert objectives == sorted(objectives)
    assert (result.infeasible_reason is None) == bool(result.proposals)


@SOLVER
@given(clinic=clinics())
def test_optimum_and_infeasibility_agree_with_cpsat(clinic: Clinic, reference: Any) -> None:
    pytest.importorskip("ortools")
    found = reference.candidates(clinic)
    expected = reference.cpsat_optimum(clinic, found)
    result = clinic.place()
    event(f"reason: {result.infeasible_reason}")
    if result.proposals:
        event(f"deviation > 0: {result.proposals[0].deviation_days > 0}")
    if expected is None:
        assert result.proposals == ()
        assert result.infeasible_reason is not None
    else:
        assert reference.objective(result.proposals[0]) == expected


@SOLVER
@given(clinic=clinics(openings=2, tight=True))
def test_relaxed_max_gap_is_the_smallest_that_is_feasible(clinic: Clinic, reference: Any) -> None:
    pytest.importorskip("ortools")
    result = clinic.place()
    event(f"reason: {result.infeasible_reason}")
    if result.infeasible_reason is not Infeasibility.MAX_GAP:
        return
    assert result.relaxation is not None
    relaxed = result.relaxation.request
    found = reference.candidates(clinic)
    assert reference.cpsat_feasible(clinic, found, relaxed.gap_max)
    assert not reference.cpsat_feasible(clinic, found, relaxed.gap_max - 1)
    expected = reference.cpsat_optimum(clinic, found, relaxed)
    assert reference.objective(result.relaxation.proposal) == expected


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clinic=clinics())
def test_alternatives_are_the_next_best_courses_on_other_days(
    clinic: Clinic, reference: Any
) -> None:
    pytest.importorskip("ortools")
    found = reference.candidates(clinic)
    proposals = clinic.place(alternatives=2).proposals
    event(f"proposals: {len(proposals)}")
    excluded: list[tuple[int, ...]] = []
    first = reference.first_day(clinic)
    for proposal in proposals:
        expected = reference.cpsat_optimum(clinic, found, exclude=excluded)
        assert reference.objective(proposal) == expected
        excluded.append(
            tuple((s.start.astimezone(clinic.tz).date() - first).days for s in proposal.sessions)
        )
    if len(proposals) < 3:
        assert reference.cpsat_optimum(clinic, found, exclude=excluded) is None
