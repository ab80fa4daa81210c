"""Exact placement of a course of sessions, with alternatives and an explained infeasibility.

Objective, lexicographic (all instants compared as UTC):
  1. minimise the total deviation ``sum |gap_k - target_k|`` of the calendar-day gaps, counted
     in the location's local dates; ``target_k`` is ``gap_target``, raised to the calendar-month
     minimum after session k when the request has ``gap_min_months``;
  2. then the earliest start of the last session;
  3. then the earliest start of the first session;
  4. then the lexicographically earliest tuple of all session starts (so session 2 as early as
     possible, then session 3, ...): "earliest time of day" made precise.
Ties left after (4) (same starts, several practitioners or rooms) go to the lowest id.

Alternatives are the next-best courses in that order whose day sequence differs from every
course already proposed; a course that only swaps the practitioner or room is not an alternative.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from .availability import AvailabilityIndex
from .calendars import Interval, PractitionerCalendar, RoomCalendar, from_minute
from .search import CoursePlan, Path, best_paths

_MINUTE = timedelta(minutes=1)


class Infeasibility(StrEnum):
    """Why no course fits, checked in this order (the first that applies is reported)."""

    NO_AVAILABILITY = "no_availability"  # a session fits on no day of the horizon at all
    WINDOW = "window"  # ... it would fit, but not inside the time-of-day window
    SAME_PRACTITIONER = "same_practitioner"  # feasible if each session may change practitioner
    MAX_GAP = "max_gap"  # feasible with a larger maximum gap (the smallest is proposed)
    HORIZON = "horizon"  # no maximum gap helps: too few free days before the horizon ends


@dataclass(frozen=True)
class CourseRequest:
    sessions: tuple[timedelta, ...]  # duration of each session, in order
    earliest: date | datetime  # first local date, or an aware instant no session may precede
    gap_min: int  # calendar days between consecutive sessions
    gap_target: int
    gap_max: int
    window: tuple[time, time] | None = None  # each whole session inside this local window
    room_kind: str | None = None
    same_practitioner: bool = True
    horizon_days: int = 182  # sessions on local dates earliest .. earliest + horizon_days - 1
    granularity_min: int = 5
    # And at least this many calendar months after the previous session (31 Jan -> 28/29 Feb).
    gap_min_months: int | None = None

    def __post_init__(self) -> None:
        if not self.sessions:
            raise ValueError("a course needs at least one session")
        if any(d < _MINUTE or d % _MINUTE for d in self.sessions):
            raise ValueError("session durations must be positive whole minutes")
        if not 1 <= self.gap_min <= self.gap_target <= self.gap_max:
            raise ValueError("gaps must satisfy 1 <= gap_min <= gap_target <= gap_max")
        if self.gap_min_months is not None and not 1 <= self.gap_min_months <= 120:
            raise ValueError("gap_min_months must be 1..120 calendar months")
        if self.horizon_days < 1 or self.granularity_min < 1:
            raise ValueError("horizon and granularity must be positive")
        if self.window is not None and not self.window[0] < self.window[1]:
            raise ValueError("the time-of-day window must end after it starts")
        if isinstance(self.earliest, datetime) and self.earliest.tzinfo is None:
            raise ValueError("earliest must be timezone-aware when it is a datetime")


@dataclass(frozen=True)
class PlacedSession:
    index: int  # 1-based
    start: datetime
    end: datetime
    practitioner_id: str
    room_id: str | None


@dataclass(frozen=True)
class Proposal:
    sessions: tuple[PlacedSession, ...]
    deviation_days: int
    finish: datetime  # end of the last session

    @property
    def objective(self) -> tuple[int, datetime, datetime, tuple[datetime, ...]]:
        """The lexicographic objective; smaller is better."""
        starts = tuple(s.start for s in self.sessions)
        return self.deviation_days, starts[-1], starts[0], starts


@dataclass(frozen=True)
class Relaxation:
    constraint: Infeasibility
    request: CourseRequest  # the original request with that one constraint relaxed
    proposal: Proposal  # the optimum of the relaxed request


@dataclass(frozen=True)
class CourseResult:
    proposals: tuple[Proposal, ...]  # the optimum first, then alternatives
    infeasible_reason: Infeasibility | None = None
    relaxation: Relaxation | None = None


def place_course(
    request: CourseRequest,
    practitioners: Sequence[PractitionerCalendar],
    rooms: Sequence[RoomCalendar],
    patient_busy: Sequence[Interval],
    tz: ZoneInfo,
    alternatives: int = 0,
) -> CourseResult:
    """The optimal placement and up to ``alternatives`` more, or why there is none."""
    index, plan = _prepare(request, practitioners, rooms, patient_busy, tz)
    paths = best_paths(index, plan, alternatives + 1)
    if paths:
        return CourseResult(tuple(_proposal(index, plan, path) for path in paths))
    reason, relaxed = _diagnose(request, index, plan, practitioners, rooms, patient_busy, tz)
    relaxation = None
    if relaxed is not None:
        relaxed_index, relaxed_plan = _prepare(relaxed, practitioners, rooms, patient_busy, tz)
        best = best_paths(relaxed_index, relaxed_plan, 1)
        relaxation = Relaxation(reason, relaxed, _proposal(relaxed_index, relaxed_plan, best[0]))
    return CourseResult((), reason, relaxation)


def _prepare(
    request: CourseRequest,
    practitioners: Sequence[PractitionerCalendar],
    rooms: Sequence[RoomCalendar],
    patient_busy: Sequence[Interval],
    tz: ZoneInfo,
) -> tuple[AvailabilityIndex, CoursePlan]:
    not_before = None
    first_day = request.earliest
    if isinstance(request.earliest, datetime):
        not_before = request.earliest
        first_day = request.earliest.astimezone(tz).date()
    index = AvailabilityIndex(
        practitioners,
        rooms,
        patient_busy,
        tz,
        window=request.window,
        room_kind=request.room_kind,
        granularity_min=request.granularity_min,
        not_before=not_before,
    )
    plan = CoursePlan(
        durations=tuple(d // _MINUTE for d in request.sessions),
        gap_min=request.gap_min,
        gap_target=request.gap_target,
        gap_max=request.gap_max,
        first_day=first_day,
        horizon_days=request.horizon_days,
        same_practitioner=request.same_practitioner,
        gap_min_months=request.gap_min_months,
    )
    return index, plan


def _proposal(index: AvailabilityIndex, plan: CoursePlan, path: Path) -> Proposal:
    sessions = tuple(
        PlacedSession(
            k + 1,
            from_minute(start),
            from_minute(start + plan.durations[k]),
            index.practitioners[p].id,
            None if room is None else index.rooms[room].id,
        )
        for k, (_, start, p, room) in enumerate(path.steps)
    )
    return Proposal(sessions, path.deviation, sessions[-1].end)


def _day_masks(index: AvailabilityIndex, plan: CoursePlan) -> list[list[int]]:
    """``masks[p][k]`` has bit ``i`` set when session ``k`` fits practitioner ``p`` on day ``i``."""
    masks = []
    for p in range(len(index.practitioners)):
        by_duration = dict.fromkeys(plan.durations, 0)
        for i in range(plan.horizon_days):
            day = plan.first_day + timedelta(days=i)
            for duration in by_duration:
                if index.earliest(p, day, duration) is not None:
                    by_duration[duration] |= 1 << i
        masks.append([by_duration[d] for d in plan.durations])
    return masks


def _spread(days: int, low: int, high: int) -> int:
    """OR of ``days << g`` for every g in [low, high], in O(log(high - low)) big-int steps."""
    result, offset, block, width, remaining = 0, 0, days << low, 1, high - low + 1
    while remaining:
        if remaining & 1:
            result |= block << offset
            offset += width
        block |= block << width
        width *= 2
        remaining >>= 1
    return result


def _minimum_gaps(plan: CoursePlan) -> dict[int, int]:
    """Minimum gap -> bitset of the horizon days after which it applies (one entry, every
    day, without calendar months; 28..31 days for one month)."""
    rule = plan.gap_rule
    by_minimum: dict[int, int] = {}
    for i in range(plan.horizon_days):
        minimum = rule.after(plan.first_day + timedelta(days=i)).minimum
        by_minimum[minimum] = by_minimum.get(minimum, 0) | 1 << i
    return by_minimum


def _feasible(masks: list[list[int]], plan: CoursePlan, gap_max: int, same: bool) -> bool:
    """Whether some chain of days fits, ignoring the objective: a bitset reachability DP."""
    groups = masks
    if not same:
        groups = [[_union(m[k] for m in masks) for k in range(len(masks[0]))]] if masks else []
    minimums = _minimum_gaps(plan)
    for sessions in groups:
        reach = sessions[0]
        for mask in sessions[1:]:
            # Spread the days that share a minimum gap together (the maximum is raised to the
            # minimum when shorter, as ``GapRule.after`` does).
            spread = _union(
                _spread(reach & days, low, max(gap_max, low)) for low, days in minimums.items()
            )
            reach = mask & spread
        if reach:
            return True
    return False


def _union(masks: Iterable[int]) -> int:
    result = 0
    for mask in masks:
        result |= mask
    return result


def _diagnose(
    request: CourseRequest,
    index: AvailabilityIndex,
    plan: CoursePlan,
    practitioners: Sequence[PractitionerCalendar],
    rooms: Sequence[RoomCalendar],
    patient_busy: Sequence[Interval],
    tz: ZoneInfo,
) -> tuple[Infeasibility, CourseRequest | None]:
    """The first violated constraint, and the request relaxed just enough to be feasible."""
    masks = _day_masks(index, plan)
    sessions = range(len(plan.durations))
    if not all(_union(m[k] for m in masks) for k in sessions):
        if request.window is None:
            return Infeasibility.NO_AVAILABILITY, None
        unwindowed = replace(request, window=None)
        wide_index, wide_plan = _prepare(unwindowed, practitioners, rooms, patient_busy, tz)
        wide = _day_masks(wide_index, wide_plan)
        if not all(_union(m[k] for m in wide) for k in sessions):
            return Infeasibility.NO_AVAILABILITY, None
        feasible = _feasible(wide, plan, plan.gap_max, plan.same_practitioner)
        return Infeasibility.WINDOW, unwindowed if feasible else None
    if plan.same_practitioner and _feasible(masks, plan, plan.gap_max, False):
        return Infeasibility.SAME_PRACTITIONER, replace(request, same_practitioner=False)
    low, high = plan.gap_max + 1, plan.horizon_days - 1
    if high < low or not _feasible(masks, plan, high, plan.same_practitioner):
        return Infeasibility.HORIZON, None
    while low < high:  # feasibility only grows with the maximum gap: bisect for the smallest
        middle = (low + high) // 2
        if _feasible(masks, plan, middle, plan.same_practitioner):
            high = middle
        else:
            low = middle + 1
    return Infeasibility.MAX_GAP, replace(request, gap_max=low)
