"""Course placement: our best-first DP against OR-Tools CP-SAT on seeded random clinics.

Run from the repository root: ``python bench/course_search.py [--instances 10] [--rooms 0]``.
Each instance: 20 practitioners working Mon-Fri 09:00-18:00 (Europe/Rome, 26 weeks across the
March DST switch) with ~70 % of their time booked, a patient with a few appointments, and a course
of 6 x 30 min sessions, gaps 5/7/14 days, lunchtime window 11:30-14:30, same practitioner,
earliest day in the first four weeks. Prints p50/p95 of both solvers and how often they agree.

CP-SAT gets one boolean per (session, practitioner, day) at that practitioner's earliest feasible
start of the day (given the days, the earliest start is optimal for every tie-break), days
restricted to where each session can still fit, and the lexicographic objective solved as a
sequence of single-objective solves, each fixing the previous optimum. Never asserts wall-clock.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time as clock
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from mesocare.core.scheduling import (  # noqa: E402
    CourseRequest,
    Interval,
    PractitionerCalendar,
    RoomCalendar,
    WeeklyHours,
    place_course,
)
from mesocare.core.scheduling.availability import AvailabilityIndex  # noqa: E402
from mesocare.core.scheduling.course import _prepare  # noqa: E402

TZ = ZoneInfo("Europe/Rome")
FIRST = date(2025, 1, 6)  # a Monday; 26 weeks reach past the 30 March switch
WEEKS = 26
HOURS = WeeklyHours.from_mapping({d: [(time(9), time(18))] for d in range(5)})
Instance = tuple[CourseRequest, list[PractitionerCalendar], list[RoomCalendar], list[Interval]]


def _local(day: date, minute: int) -> datetime:
    """Wall-clock ``minute`` of ``day`` at the clinic, as the UTC instant the API speaks."""
    wall = datetime.combine(day, time(), tzinfo=TZ) + timedelta(minutes=minute)
    return wall.astimezone(UTC)


def _booked_day(rng: random.Random, day: date, share: float) -> list[Interval]:
    """Back-to-back blocks of 15-60 min from 09:00 to 18:00, each booked with ``share``."""
    busy, minute = [], 9 * 60
    while minute < 18 * 60:
        length = min(rng.choice((15, 30, 45, 60)), 18 * 60 - minute)
        if rng.random() < share:
            busy.append(Interval(_local(day, minute), _local(day, minute + length)))
        minute += length
    return busy


def make_instance(rng: random.Random, rooms: int) -> Instance:
    days = [FIRST + timedelta(days=i) for i in range(WEEKS * 7)]
    workdays = [d for d in days if d.weekday() < 5]
    practitioners = [
        PractitionerCalendar(
            f"p{n:02d}",
            HOURS,
            days_off=frozenset(rng.sample(workdays, 5)),
            busy=tuple(b for d in workdays for b in _booked_day(rng, d, 0.7)),
        )
        for n in range(20)
    ]
    opening = WeeklyHours.from_mapping({d: [(time(8), time(19))] for d in range(5)})
    room_list = [
        RoomCalendar(
            f"r{n}", "facial", opening, tuple(b for d in workdays for b in _booked_day(rng, d, 0.5))
        )
        for n in range(rooms)
    ]
    patient = [Interval(_local(d, 12 * 60), _local(d, 13 * 60)) for d in rng.sample(workdays, 10)]
    offset = rng.randrange(28)
    request = CourseRequest(
        sessions=(timedelta(minutes=30),) * 6,
        earliest=FIRST + timedelta(days=offset),
        gap_min=5,
        gap_target=7,
        gap_max=14,
        window=(time(11, 30), time(14, 30)),
        room_kind="facial" if rooms else None,
        horizon_days=WEEKS * 7 - offset,
    )
    return request, practitioners, room_list, patient


def cpsat_objective(instance: Instance) -> tuple[int, ...] | None:
    """The lexicographic optimum (deviation, last start, first start, starts...) by CP-SAT."""
    from ortools.sat.python import cp_model

    request, practitioners, rooms, patient = instance
    index, plan = _prepare(request, practitioners, rooms, patient, TZ)
    n, horizon = len(plan.durations), plan.horizon_days
    model = cp_model.CpModel()
    base = index.midnight(plan.first_day)
    picks: dict[int, list[tuple[Any, int, int, int]]] = {k: [] for k in range(n)}
    used = [model.new_bool_var(f"p{p}") for p in range(len(index.practitioners))]
    for k in range(n):
        first, last = k * plan.gap_min, horizon - 1 - (n - 1 - k) * plan.gap_min
        for p in range(len(index.practitioners)):
            for i in range(first, last + 1):
                hit = _earliest(index, p, plan.first_day + timedelta(days=i), plan.durations[k])
                if hit is not None:
                    var = model.new_bool_var(f"x{k}_{p}_{i}")
                    model.add_implication(var, used[p])
                    picks[k].append((var, p, i, hit - base))
    if any(not picks[k] for k in range(n)):
        return None
    model.add_exactly_one(used)
    day: list[Any] = []
    start: list[Any] = []
    for k in range(n):
        model.add_exactly_one(v for v, *_ in picks[k])
        day.append(sum(v * i for v, _, i, _ in picks[k]))
        start.append(sum(v * s for v, _, _, s in picks[k]))
    deviations = []
    for k in range(n - 1):
        gap = model.new_int_var(plan.gap_min, plan.gap_max, f"g{k}")
        model.add(gap == day[k + 1] - day[k])
        dev = model.new_int_var(0, plan.gap_max, f"d{k}")
        model.add_abs_equality(dev, gap - plan.gap_target)
        deviations.append(dev)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 7
    values = []
    for expression in [sum(deviations), start[-1], start[0], *start[1:-1]]:
        model.minimize(expression)
        if solver.solve(model) != cp_model.OPTIMAL:
            return None
        value = round(solver.objective_value)
        model.add(expression == value)
        values.append(value)
    starts = (values[2], *values[3:], values[1])
    return (values[0], values[1] + base, values[2] + base, *(s + base for s in starts))


def _earliest(index: AvailabilityIndex, p: int, day: date, duration: int) -> int | None:
    hit = index.earliest(p, day, duration)
    return None if hit is None else hit[0]


def _minutes(moment: datetime) -> int:
    return int((moment - datetime(1970, 1, 1, tzinfo=UTC)).total_seconds()) // 60


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=10)
    parser.add_argument("--rooms", type=int, default=0, help="rooms of the required kind")
    parser.add_argument("--seed", type=int, default=20250106)
    parser.add_argument("--repeat", type=int, default=3, help="warm runs per instance (median)")
    parser.add_argument("--no-cpsat", action="store_true")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    ours, warm, reference, agree = [], [], [], 0
    for number in range(args.instances):
        instance = make_instance(rng, args.rooms)
        request, practitioners, rooms, patient = instance
        began = clock.perf_counter()  # cold: includes indexing the calendars' busy intervals
        result = place_course(request, practitioners, rooms, patient, TZ)
        ours.append(clock.perf_counter() - began)
        runs = []  # warm: calendars already indexed, as a service caches them; the median of
        for _ in range(args.repeat):  # a few runs damps noise from other processes
            began = clock.perf_counter()
            result = place_course(request, practitioners, rooms, patient, TZ)
            runs.append(clock.perf_counter() - began)
        warm.append(statistics.median(runs))
        best = result.proposals[0] if result.proposals else None
        mine = None
        if best is not None:
            starts = [_minutes(s.start) for s in best.sessions]
            mine = (best.deviation_days, starts[-1], starts[0], *starts)
        if not args.no_cpsat:
            began = clock.perf_counter()
            theirs = cpsat_objective(instance)
            reference.append(clock.perf_counter() - began)
            agree += theirs == mine
        print(
            f"instance {number + 1}: deviation "
            f"{'-' if best is None else best.deviation_days}, "
            f"cold {ours[-1] * 1e3:.2f} ms, warm {warm[-1] * 1e3:.2f} ms"
            + (f", CP-SAT {reference[-1]:.2f} s" if reference else ""),
            flush=True,
        )
    for label, values in (("ours, cold", ours), ("ours, warm", warm), ("CP-SAT", reference)):
        if values:
            print(
                f"{label:>11}: p50 {percentile(values, 0.5) * 1e3:9.2f} ms  "
                f"p95 {percentile(values, 0.95) * 1e3:9.2f} ms"
            )
    if reference:
        ratio = statistics.median(reference) / statistics.median(warm)
        print(f"median ratio CP-SAT / ours (warm): {ratio:,.0f}x")
        print(f"our optimum equals CP-SAT's: {agree}/{args.instances}")


if __name__ == "__main__":
    main()
