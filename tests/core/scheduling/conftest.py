"""An independent reference for course placement, exposed as the session fixture ``reference``.

The oracle re-derives "may this session start here" straight from the definitions, with aware
datetimes and no shared code, and CP-SAT then optimises over *every* start it allows (not only
the earliest of each day), so the tests check our reductions as well as our search.
The project runs pytest with ``--import-mode=importlib``: a fixture is how helpers are shared.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

import pytest
from dateutil.relativedelta import relativedelta

from mesocare.core.scheduling import (
    CourseRequest,
    Interval,
    PractitionerCalendar,
    Proposal,
    RoomCalendar,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Objective = tuple[int, ...]  # (deviation, last start, first start, *starts) in epoch minutes
# (session index, practitioner index in id order, day index) -> every allowed start minute
Candidates = dict[tuple[int, int, int], list[int]]


class Clinic(Protocol):
    """One placement problem: what ``place_course`` is given (the test modules build it)."""

    request: CourseRequest
    practitioners: tuple[PractitionerCalendar, ...]
    rooms: tuple[RoomCalendar, ...]
    patient_busy: tuple[Interval, ...]
    tz: ZoneInfo


def first_day(clinic: Clinic) -> date:
    earliest = clinic.request.earliest
    if isinstance(earliest, datetime):
        return earliest.astimezone(clinic.tz).date()
    return earliest


def minutes(moment: datetime) -> int:
    return int((moment - EPOCH).total_seconds()) // 60


def objective(proposal: Proposal) -> Objective:
    starts = [minutes(s.start) for s in proposal.sessions]
    return (proposal.deviation_days, starts[-1], starts[0], *starts)


def _at(tz: ZoneInfo, day: date, moment: time) -> datetime:
    return datetime.combine(day, moment, tzinfo=tz).astimezone(UTC)


def _covered(start: datetime, end: datetime, hours: list[tuple[datetime, datetime]]) -> bool:
    """Whether the union of ``hours`` covers [start, end)."""
    reached = start
    for a, b in sorted(hours):
        if a <= reached < b:
            reached = b
    return reached >= end


def _clear(start: datetime, end: datetime, busy: Sequence[Interval]) -> bool:
    return all(not (b.start < end and start < b.end) for b in busy)


def fits(
    clinic: Clinic, practitioner: PractitionerCalendar, start: datetime, duration: timedelta
) -> str | None:
    """The room id (or "" without rooms) if the session may start at ``start``, else None."""
    tz, request, end = clinic.tz, clinic.request, start + duration
    day = start.astimezone(tz).date()
    if day in practitioner.days_off:
        return None
    hours = [(_at(tz, day, a), _at(tz, day, b)) for a, b in practitioner.weekly_hours.on(day)]
    if not _covered(start, end, hours):
        return None
    if request.window is not None and not (
        _at(tz, day, request.window[0]) <= start and end <= _at(tz, day, request.window[1])
    ):
        return None
    if isinstance(request.earliest, datetime) and start < request.earliest:
        return None
    if not (_clear(start, end, practitioner.busy) and _clear(start, end, clinic.patient_busy)):
        return None
    if not clinic.rooms:
        return ""
    for room in sorted(clinic.rooms, key=lambda r: r.id):
        opening = [(_at(tz, day, a), _at(tz, day, b)) for a, b in room.weekly_hours.on(day)]
        if (
            request.room_kind in (None, room.kind)
            and _covered(start, end, opening)
            and _clear(start, end, room.busy)
        ):
            return room.id
    return None


def candidates(clinic: Clinic) -> Candidates:
    """Every start on the grid, per (session, practitioner, day), by brute force."""
    request, tz, grid = clinic.request, clinic.tz, clinic.request.granularity_min
    practitioners = sorted(clinic.practitioners, key=lambda p: p.id)
    found: Candidates = {}
    for i in range(request.horizon_days):
        day = first_day(clinic) + timedelta(days=i)
        low, high = minutes(_at(tz, day, time())), minutes(_at(tz, day + timedelta(days=1), time()))
        for k, duration in enumerate(request.sessions):
            for p, practitioner in enumerate(practitioners):
                # UTC multiples of the grid are local ones: the zones used are whole hours off UTC.
                starts = [
                    m
                    for m in range(low + (-low) % grid, high, grid)
                    if fits(clinic, practitioner, EPOCH + timedelta(minutes=m), duration)
                    is not None
                ]
                if starts:
                    found[(k, p, i)] = starts
    return found


def cpsat_optimum(
    clinic: Clinic,
    found: Candidates,
    request: CourseRequest | None = None,
    exclude: Sequence[tuple[int, ...]] = (),
) -> Objective | None:
    """The lexicographic optimum by CP-SAT, solved objective by objective; None if infeasible.

    ``exclude`` lists day sequences (day indices) the course must differ from."""
    from ortools.sat.python import cp_model

    request = request or clinic.request
    n = len(request.sessions)
    model = cp_model.CpModel()
    chosen = {
        key: [(model.new_bool_var(f"x{key}_{m}"), m) for m in starts]
        for key, starts in found.items()
    }
    counts = len(clinic.practitioners)
    if any(not any(key[0] == k for key in chosen) for k in range(n)):
        return None
    if request.same_practitioner:
        owner = [model.new_bool_var(f"p{p}") for p in range(counts)]
        model.add_exactly_one(owner)
        for (_, p, _), options in chosen.items():
            for var, _ in options:
                model.add_implication(var, owner[p])
    base = min(m for starts in found.values() for m in starts)
    days, starts_of = [], []
    for k in range(n):
        mine = [
            (var, i, m - base) for (kk, _, i), opts in chosen.items() if kk == k for var, m in opts
        ]
        model.add_exactly_one(var for var, _, _ in mine)
        days.append(sum(var * i for var, i, _ in mine))
        starts_of.append(sum(var * m for var, _, m in mine))
    for sequence in exclude:
        hits = [var for (k, _, i), opts in chosen.items() if i == sequence[k] for var, _ in opts]
        model.add(sum(hits) <= n - 1)
    deviations = []
    for k in range(n - 1):
        if request.gap_min_months:
            deviations.append(_month_gap(model, clinic, chosen, request, days, k))
            continue
        gap = model.new_int_var(request.gap_min, request.gap_max, f"g{k}")
        model.add(gap == days[k + 1] - days[k])
        deviation = model.new_int_var(0, request.gap_max, f"d{k}")
        model.add_abs_equality(deviation, gap - request.gap_target)
        deviations.append(deviation)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 1
    values = [] if deviations else [0]
    levels = [sum(deviations)] if deviations else []
    for expression in [*levels, starts_of[-1], starts_of[0], *starts_of[1:-1]]:
        model.minimize(expression)
        status = solver.solve(model)
        if status == cp_model.INFEASIBLE:
            return None
        assert status == cp_model.OPTIMAL
        values.append(round(solver.objective_value))
        model.add(expression == values[-1])
        model.clear_hints()  # the next stage starts from this optimum: it is still feasible
        for options in chosen.values():
            for var, _ in options:
                model.add_hint(var, solver.value(var))
    starts = (values[2], *values[3:], values[1]) if n > 1 else (values[1],)
    return (values[0], values[1] + base, values[2] + base, *(s + base for s in starts))


def _month_gap(model, clinic, chosen, request, days, k):  # type: ignore[no-untyped-def]
    """Gap k when it must also be a calendar month (dateutil's arithmetic, not ours): its
    bounds and target depend on the day session k takes, so each choice enforces its own."""
    horizon = request.horizon_days
    gap = model.new_int_var(1, horizon, f"g{k}")
    model.add(gap == days[k + 1] - days[k])
    deviation = model.new_int_var(0, horizon, f"d{k}")
    for (kk, _, i), options in chosen.items():
        if kk != k:
            continue
        day = first_day(clinic) + timedelta(days=i)
        month = (day + relativedelta(months=request.gap_min_months) - day).days
        low = max(request.gap_min, month)
        target, high = max(request.gap_target, low), max(request.gap_max, low)
        for var, _ in options:
            model.add(gap >= low).only_enforce_if(var)
            model.add(gap <= high).only_enforce_if(var)
            # With the total deviation minimised first, these bounds are met with equality.
            model.add(deviation >= gap - target).only_enforce_if(var)
            model.add(deviation >= target - gap).only_enforce_if(var)
    return deviation


def cpsat_feasible(clinic: Clinic, found: Candidates, gap_max: int) -> bool:
    relaxed = replace(clinic.request, gap_max=gap_max)
    return cpsat_optimum(clinic, found, relaxed) is not None


@dataclass(frozen=True)
class Reference:
    fits = staticmethod(fits)
    candidates = staticmethod(candidates)
    cpsat_optimum = staticmethod(cpsat_optimum)
    cpsat_feasible = staticmethod(cpsat_feasible)
    objective = staticmethod(objective)
    minutes = staticmethod(minutes)
    first_day = staticmethod(first_day)


@pytest.fixture(scope="session")
def reference() -> Reference:
    return Reference()
