"""Proposing a course of sessions from a protocol's rules and a baseline assessment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from mesocare.core.safety.facts import add_months

from .rules import (
    ANY_BAND,
    MAX_SESSIONS,
    MIN_OVERRIDE_REASON,
    NO_SCALE,
    Assessment,
    CourseRules,
    PlanningError,
    is_count,
    severity_scale,
    treatable_sessions,
)


@dataclass(frozen=True)
class IntervalDays:
    """Gaps in days; ``minimum_months`` adds "at least N calendar months"."""

    minimum: int
    target: int
    maximum: int
    minimum_months: int | None = None


@dataclass(frozen=True)
class PlannedSessionWindow:
    """Dates for session ``index`` (1-based); all None when the course has no start date.

    ``target`` assumes every earlier session kept its target date; ``earliest`` and
    ``latest`` are the outer envelope if every gap is at the minimum or the maximum.
    Once sessions happen, re-plan from the actual date of the last one.
    """

    index: int
    earliest: date | None
    target: date | None
    latest: date | None


@dataclass(frozen=True)
class CourseProposal:
    scale_id: str
    baseline_band: str | None
    sessions_planned: int
    sessions_by_rule: int
    override_reason: str | None
    interval: IntervalDays
    response_check_session: int
    maintenance_interval_days: int | None
    planned_sessions: tuple[PlannedSessionWindow, ...]


def propose_course(
    rules: CourseRules,
    baseline: Assessment | None,
    start_on: date | None = None,
    *,
    sessions_override: int | None = None,
    override_reason: str | None = None,
) -> CourseProposal:
    """Plan a course for ``baseline`` under ``rules``.

    Session k (1-based) targets ``start_on + (k-1) * target`` days, with earliest and latest
    using the minimum and maximum interval the same way. Raises PlanningError with code
    ``scale_not_reviewable``, ``scale_mismatch``, ``invalid_assessment``, ``nothing_to_treat``,
    ``sessions_out_of_range``, ``override_reason_required`` or ``baseline_required``.

    Rules without a scale (``NO_SCALE``) plan their fixed ``ANY_BAND`` course and ignore the
    baseline; every other rule set needs one.
    """
    if rules.scored:
        if baseline is None:
            raise PlanningError(
                "baseline_required", f"a baseline assessment on '{rules.scale_id}' is required"
            )
        scale = severity_scale(rules)
        scale_id, by_rule = scale.id, treatable_sessions(rules, scale, baseline)
        baseline_band = baseline.band
    else:
        scale_id, by_rule, baseline_band = NO_SCALE, rules.sessions_by_band[ANY_BAND], None
    sessions, reason = by_rule, None
    if sessions_override is not None:
        if not is_count(sessions_override, 1, MAX_SESSIONS):
            raise PlanningError(
                "sessions_out_of_range",
                f"sessions must be 1..{MAX_SESSIONS}, got {sessions_override!r}",
            )
        if sessions_override != by_rule:
            reason = (override_reason or "").strip()
            if len(reason) < MIN_OVERRIDE_REASON:
                raise PlanningError(
                    "override_reason_required",
                    f"{sessions_override} sessions differs from the protocol's {by_rule}: "
                    f"give a reason of at least {MIN_OVERRIDE_REASON} characters",
                )
        sessions = sessions_override
    interval = IntervalDays(
        rules.interval_min_days,
        rules.interval_target_days,
        rules.interval_max_days,
        rules.interval_min_months,
    )
    return CourseProposal(
        scale_id=scale_id,
        baseline_band=baseline_band,
        sessions_planned=sessions,
        sessions_by_rule=by_rule,
        override_reason=reason,
        interval=interval,
        # A check after the last session would never happen.
        response_check_session=min(rules.response_check_session, sessions),
        maintenance_interval_days=rules.maintenance_interval_days,
        planned_sessions=tuple(_window(k, start_on, interval) for k in range(1, sessions + 1)),
    )


def _window(index: int, start_on: date | None, interval: IntervalDays) -> PlannedSessionWindow:
    if start_on is None:
        return PlannedSessionWindow(index, None, None, None)
    gaps = index - 1
    # A calendar-month minimum moves earliest and target to the same date the safety
    # rule allows (1 March + 1 month = 1 April, 31 January + 1 month = 28/29 February).
    months = add_months(start_on, gaps * (interval.minimum_months or 0))
    latest = start_on + timedelta(days=gaps * interval.maximum)
    return PlannedSessionWindow(
        index=index,
        earliest=max(start_on + timedelta(days=gaps * interval.minimum), months),
        target=max(start_on + timedelta(days=gaps * interval.target), months),
        latest=max(latest, months),
    )


def maintenance_due(completed_on: date, maintenance_interval_days: int | None) -> date | None:
    """Date of the first maintenance session after a course completed on ``completed_on``."""
    if maintenance_interval_days is None:
        return None
    if not is_count(maintenance_interval_days, 1, 3650):
        raise PlanningError(
            "invalid_rules", "maintenance_interval_days must be a positive number of days"
        )
    return completed_on + timedelta(days=maintenance_interval_days)
