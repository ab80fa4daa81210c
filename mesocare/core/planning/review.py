"""Judging a course in progress against its baseline."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from mesocare.core.scales import ScaleDef

from .rules import (
    MAX_SESSIONS,
    Assessment,
    CourseRules,
    PlanningError,
    checked_band,
    is_count,
    severity_scale,
    treatable_sessions,
)


class ReviewOutcome(StrEnum):
    """Outcomes from best to worst; ``rank`` orders them for comparisons."""

    COMPLETE = "complete"
    RESPONDING = "responding"
    TOO_EARLY = "too_early"
    REVIEW_NEEDED = "review_needed"

    @property
    def rank(self) -> int:
        return list(ReviewOutcome).index(self)


@dataclass(frozen=True)
class Review:
    outcome: ReviewOutcome
    reason: str
    improvement: Decimal
    improvement_pct: Decimal | None
    responding: bool
    target_reached: bool
    current_band: str | None
    sessions_done: int
    sessions_planned: int


def review_course(
    rules: CourseRules,
    baseline: Assessment,
    current: Assessment,
    sessions_done: int,
    *,
    sessions_planned: int | None = None,
) -> Review:
    """Judge the course after ``sessions_done`` sessions.

    ``sessions_planned`` defaults to the rule for the baseline band; pass the proposal's
    count when it was overridden. Reaching the target band, or finishing the planned
    sessions, completes the course; before ``response_check_session`` it is too early to
    judge; afterwards the course is responding or needs review.
    """
    scale = severity_scale(rules)
    by_rule = treatable_sessions(rules, scale, baseline)
    current_band = checked_band(scale, current, "current assessment")
    if not is_count(sessions_done, 0, sys.maxsize):
        raise PlanningError(
            "invalid_sessions", f"sessions_done must be >= 0, got {sessions_done!r}"
        )
    planned = by_rule if sessions_planned is None else sessions_planned
    if not is_count(planned, 1, MAX_SESSIONS):
        raise PlanningError("sessions_out_of_range", f"sessions_planned must be 1..{MAX_SESSIONS}")

    improvement = baseline.total - current.total
    pct = _improvement_pct(scale, baseline.total, improvement)
    responding = (
        rules.responder_min_improvement is not None
        and improvement >= rules.responder_min_improvement
    ) or (
        rules.responder_min_improvement_pct is not None
        and pct is not None
        and pct >= rules.responder_min_improvement_pct
    )
    target_reached = (
        rules.target_band is not None
        and current_band is not None
        and scale.band_rank(current_band) <= scale.band_rank(rules.target_band)
    )
    change = _describe_change(improvement, pct)

    if target_reached:
        outcome = ReviewOutcome.COMPLETE
        reason = f"target band '{rules.target_band}' reached ({change}): propose completion"
    elif sessions_done >= planned:
        outcome = ReviewOutcome.COMPLETE
        reason = f"all {planned} planned sessions done ({change})"
        if not responding:
            reason += "; no response: consider another protocol rather than more sessions"
    elif sessions_done < rules.response_check_session:
        outcome = ReviewOutcome.TOO_EARLY
        reason = (
            f"{sessions_done} of {planned} sessions done; response is judged from session "
            f"{rules.response_check_session}"
        )
    elif responding:
        outcome = ReviewOutcome.RESPONDING
        reason = f"{change}: continue the course"
    else:
        outcome = ReviewOutcome.REVIEW_NEEDED
        state = "worse" if improvement < 0 else "not improved enough"
        reason = (
            f"{state} after {sessions_done} sessions ({change}): consider stopping the "
            "course or switching protocol"
        )
    return Review(
        outcome=outcome,
        reason=reason,
        improvement=improvement,
        improvement_pct=pct,
        responding=responding,
        target_reached=target_reached,
        current_band=current_band,
        sessions_done=sessions_done,
        sessions_planned=planned,
    )


def _improvement_pct(
    scale: ScaleDef, baseline_total: Decimal, improvement: Decimal
) -> Decimal | None:
    room = baseline_total - scale.total_min
    if room <= 0:
        return None
    return (improvement * 100 / room).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _describe_change(improvement: Decimal, pct: Decimal | None) -> str:
    pct_text = "" if pct is None else f", {pct}%"
    if improvement > 0:
        return f"improved by {improvement} points{pct_text}"
    if improvement < 0:
        return f"worse by {-improvement} points{pct_text}"
    return "unchanged"
