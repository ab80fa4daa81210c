"""The course-placement dynamic programme, evaluated best-first (label setting).

The DP: ``best(k, d)`` = the best way to place sessions 1..k with session k on day d, where
"best" compares (deviation so far, tuple of start instants). That prefix order is the right one:
two prefixes ending on the same day share every completion, and the full objective
(total deviation, last start, first start, tuple of starts) then ranks them exactly as
(prefix deviation, prefix starts) does, the first start being the tuple's first element.
Given the days, the earliest feasible start of each day is optimal for every tie-break, so a
state needs only one start per (day, practitioner).

Filling the whole table costs O(N x D x (max-min+1)) per practitioner, tens of milliseconds in
CPython for 20 practitioners over 26 weeks. Instead states are settled in increasing order of an
optimistic key, Dijkstra-style: the key assumes every remaining gap hits the target, which costs
nothing and puts the last session on a known day, so it never overestimates and never decreases
along a path. The first complete course popped is therefore optimal, and the usual case (a course
at zero deviation near ``earliest``) settles a few dozen states. Successors are generated lazily in
rounds of equal deviation, and start days one at a time, so a day's availability is computed only
when its state could still beat every course found so far. Each state is expanded at most
``count`` times, which yields the ``count`` best courses with distinct day sequences (any better
prefix into a state extends, with the same suffix, to a better course with other days).

A calendar-month minimum (``gap_min_months``) makes the allowed gaps, and the target a gap is
measured against, depend on the day of the previous session (28 to 31 days for one month; the
target is raised to that minimum). The argument above still holds: the allowed gaps and their
cost depend only on the state's day, so prefixes into one state still share every completion;
and every raised target is at least ``gap_target``, so the key (which assumes ``gap_target``)
still never overestimates a completion at the same deviation and never decreases along a path.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import count as counter
from typing import NamedTuple

from .availability import AvailabilityIndex
from .intervals import GapBounds, GapRule

# A placed session: (day index, start minute, practitioner index, room index or None).
Step = tuple[int, int, int, int | None]

# Heap entry: (deviation, last-start bound, first start, starts, practitioner rank, sequence,
#              kind, session index, day index, steps, extra deviation of a gap round).
# The sequence number is unique, so tuple comparison never reaches the payload.
_START_DAY, _GAP_ROUND, _STATE = 0, 1, 2


class _Entry(NamedTuple):
    """One entry of the best-first search's heap. Entries compare field by field, in this
    order: least deviation first, then the earliest (bound of the) last start, then the
    earliest first start, then the start times themselves, the practitioner rank, and the
    insertion sequence, which is unique, so the fields after it never decide."""

    deviation: int
    last: int  # the last session's start, or a lower bound of it
    first: int
    starts: tuple[int, ...]
    rank: int
    sequence: int
    kind: int  # _START_DAY, _GAP_ROUND or _STATE
    k: int  # 0-based index of the session the entry is at
    day: int
    steps: tuple[Step, ...]
    extra: int  # a gap round's extra deviation


@dataclass(frozen=True)
class CoursePlan:
    durations: tuple[int, ...]  # minutes, one per session
    gap_min: int
    gap_target: int
    gap_max: int
    first_day: date
    horizon_days: int
    same_practitioner: bool
    gap_min_months: int | None = None

    @property
    def gap_rule(self) -> GapRule:
        return GapRule(self.gap_min, self.gap_target, self.gap_max, self.gap_min_months)


@dataclass(frozen=True)
class Path:
    deviation: int
    steps: tuple[Step, ...]


def _gaps(bounds: GapBounds, deviation: int) -> list[int]:
    """The allowed gaps that deviate from the target by exactly ``deviation`` days, ascending."""
    candidates = {bounds.target - deviation, bounds.target + deviation}
    return sorted(g for g in candidates if bounds.minimum <= g <= bounds.maximum)


def best_paths(index: AvailabilityIndex, plan: CoursePlan, count: int) -> list[Path]:
    """The ``count`` best courses (distinct day sequences), best first; [] when infeasible."""
    n, target, horizon = len(plan.durations), plan.gap_target, plan.horizon_days
    days = [plan.first_day + timedelta(days=i) for i in range(horizon)]
    bounds: dict[int, int] = {}
    practitioners = range(len(index.practitioners))
    rule = plan.gap_rule
    after: dict[int, GapBounds] = {}

    def gaps_after(day: int) -> GapBounds:
        """The gaps allowed after a session on ``day`` (they vary with calendar months)."""
        if day not in after:
            after[day] = rule.after(days[day])
        return after[day]

    def max_deviation(day: int) -> int:
        allowed = gaps_after(day)
        return max(allowed.target - allowed.minimum, allowed.maximum - allowed.target)

    def bound(day: int) -> int:
        """A lower bound of every start on ``day``: its local midnight."""
        if day not in bounds:
            bounds[day] = index.midnight(plan.first_day + timedelta(days=day))
        return bounds[day]

    def last_day(k: int) -> int:
        """Latest day of session ``k`` (0-based) that leaves room for the rest at minimum gaps."""
        return horizon - 1 - (n - 1 - k) * plan.gap_min

    def options(k: int, day: int, p: int | None) -> list[tuple[int, int, int | None]]:
        """(start, practitioner, room) of session ``k`` on ``day``: per practitioner, or the
        single earliest over all practitioners when any practitioner may take each session."""
        duration, on = plan.durations[k], days[day]
        if p is not None:
            hit = index.earliest(p, on, duration)
            return [] if hit is None else [(hit[0], p, hit[1])]
        hits = [(h[0], q, h[1]) for q in practitioners if (h := index.earliest(q, on, duration))]
        if plan.same_practitioner or not hits:
            return hits
        return [min(hits)]

    heap: list[_Entry] = []
    sequence = counter()

    def push_state(
        deviation: int, k: int, day: int, steps: tuple[Step, ...], starts: tuple[int, ...]
    ) -> None:
        # The last session's real start replaces the bound once the course is complete.
        last = starts[-1] if k == n - 1 else bound(day + (n - 1 - k) * target)
        rank = steps[-1][2] if plan.same_practitioner else 0
        heapq.heappush(
            heap,
            _Entry(
                deviation, last, starts[0], starts, rank, next(sequence), _STATE, k, day, steps, 0
            ),
        )

    def push_round(
        deviation: int,
        k: int,
        day: int,
        steps: tuple[Step, ...],
        starts: tuple[int, ...],
        rank: int,
        extra: int,
    ) -> None:
        gaps = _gaps(gaps_after(day), extra)
        if not gaps:
            return
        last = bound(day + gaps[0] + (n - 2 - k) * target)
        heapq.heappush(
            heap,
            _Entry(
                deviation=deviation + extra,
                last=last,
                first=starts[0],
                starts=starts,
                rank=rank,
                sequence=next(sequence),
                kind=_GAP_ROUND,
                k=k,
                day=day,
                steps=steps,
                extra=extra,
            ),
        )

    def push_start_day(day: int) -> None:
        heapq.heappush(
            heap,
            _Entry(
                deviation=0,
                last=bound(day + (n - 1) * target),
                first=bound(day),
                starts=(),
                rank=-1,
                sequence=next(sequence),
                kind=_START_DAY,
                k=0,
                day=day,
                steps=(),
                extra=0,
            ),
        )

    if last_day(0) >= 0:
        push_start_day(0)
    expanded: dict[tuple[int, int, int], int] = {}
    found: list[Path] = []
    seen: set[tuple[int, ...]] = set()
    while heap and len(found) < count:
        entry = heapq.heappop(heap)
        deviation, starts, rank, kind = entry.deviation, entry.starts, entry.rank, entry.kind
        k, day, steps, extra = entry.k, entry.day, entry.steps, entry.extra
        if kind == _START_DAY:
            for start, p, room in options(0, day, None):
                push_state(0, 0, day, ((day, start, p, room),), (start,))
            if day < last_day(0):
                push_start_day(day + 1)
        elif kind == _STATE:
            key = (k, day, rank)
            times = expanded.get(key, 0)
            if times >= count:
                continue
            expanded[key] = times + 1
            if k == n - 1:
                day_sequence = tuple(step[0] for step in steps)
                if day_sequence not in seen:
                    seen.add(day_sequence)
                    found.append(Path(deviation, steps))
            else:
                push_round(deviation, k, day, steps, starts, rank, 0)
        else:
            parent = deviation - extra
            keep = steps[-1][2] if plan.same_practitioner else None
            for gap in _gaps(gaps_after(day), extra):
                nxt = day + gap
                if nxt > last_day(k + 1):
                    continue
                for start, p, room in options(k + 1, nxt, keep):
                    push_state(
                        deviation, k + 1, nxt, (*steps, (nxt, start, p, room)), (*starts, start)
                    )
            if extra < max_deviation(day):
                push_round(parent, k, day, steps, starts, rank, extra + 1)
    return found
