"""A protocol interval of "one calendar month" and a protocol's maximum baseline stage."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesocare.core.planning import CourseRules, PlanningError, propose_course
from mesocare.core.safety.facts import add_months


class Baseline:
    def __init__(self, scale_id: str, total: int, band: str) -> None:
        self.scale_id, self.total, self.band = scale_id, Decimal(total), band


MONTHLY = CourseRules(
    scale_id="cr-smfrs",
    sessions_by_band={"moderate": 4, "severe": 6},
    interval_min_days=28,
    interval_target_days=28,
    interval_max_days=60,
    interval_min_months=1,
    responder_min_improvement=Decimal(1),
)


def test_monthly_targets_fall_on_calendar_months_from_31_january() -> None:
    """The Kybella label's "at least one month": 31 Jan → 28 Feb → 28 Mar (2025)."""
    proposal = propose_course(MONTHLY, Baseline("cr-smfrs", 2, "moderate"), date(2025, 1, 31))
    targets = [w.target for w in proposal.planned_sessions]
    assert targets == [date(2025, 1, 31), date(2025, 2, 28), date(2025, 3, 31), date(2025, 4, 30)]
    assert proposal.planned_sessions[1].earliest == date(2025, 2, 28)


def test_monthly_target_after_1_march_is_1_april_not_31_march() -> None:
    proposal = propose_course(MONTHLY, Baseline("cr-smfrs", 2, "moderate"), date(2025, 3, 1))
    assert proposal.planned_sessions[1].target == date(2025, 4, 1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2099, 1, 1)))
def test_each_target_is_at_least_the_calendar_months_the_safety_rule_needs(start: date) -> None:
    proposal = propose_course(MONTHLY, Baseline("cr-smfrs", 3, "severe"), start)
    for window in proposal.planned_sessions:
        gaps = window.index - 1
        assert window.target is not None and window.earliest is not None
        assert window.target >= add_months(start, gaps)
        assert window.target >= start + timedelta(days=28 * gaps)
        assert window.earliest <= window.target <= (window.latest or window.target)


def test_a_baseline_beyond_the_protocol_maximum_stage_is_not_planned() -> None:
    rules = CourseRules(
        scale_id="norwood",
        sessions_by_band={"moderate": 7, "severe": 7},
        interval_min_days=7,
        interval_target_days=14,
        interval_max_days=28,
        responder_min_improvement=Decimal(1),
        max_baseline_total=Decimal(10),  # Va
    )
    assert propose_course(rules, Baseline("norwood", 10, "severe")).sessions_planned == 7
    with pytest.raises(PlanningError) as exc:
        propose_course(rules, Baseline("norwood", 11, "severe"))  # VI
    assert exc.value.code == "above_protocol_maximum"
