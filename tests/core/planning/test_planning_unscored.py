"""Protocols that grade no scale: a fixed 'any' course, no baseline, no review."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from mesocare.core.planning import (
    ANY_BAND,
    NO_SCALE,
    CourseRules,
    PlanningError,
    propose_course,
    review_course,
)
from mesocare.core.scales import score_items

STRIAE = CourseRules(NO_SCALE, {ANY_BAND: 5}, 14, 21, 28, maintenance_interval_days=90)


def test_the_any_rule_key_matches_the_catalog_data() -> None:
    assert ANY_BAND == "any"


def test_an_unscored_protocol_plans_its_fixed_course_without_a_baseline() -> None:
    proposal = propose_course(STRIAE, None, date(2025, 1, 6))
    assert proposal.sessions_planned == proposal.sessions_by_rule == 5
    assert proposal.scale_id == NO_SCALE
    assert proposal.baseline_band is None
    assert proposal.planned_sessions[1].target == date(2025, 1, 27)


def test_an_unscored_protocol_ignores_a_baseline_given_for_reference() -> None:
    baseline = score_items("vas-pain", {"score": 6})
    assert propose_course(STRIAE, baseline).sessions_planned == 5


def test_an_unscored_protocol_accepts_an_override_with_reason() -> None:
    proposal = propose_course(STRIAE, None, sessions_override=3, override_reason="short course")
    assert proposal.sessions_planned == 3
    assert proposal.sessions_by_rule == 5


def test_a_scored_protocol_without_baseline_needs_one() -> None:
    rules = CourseRules("vas-pain", {"mild": 3}, 7, 7, 10, responder_min_improvement=Decimal(2))
    with pytest.raises(PlanningError) as caught:
        propose_course(rules, None)
    assert caught.value.code == "baseline_required"


@pytest.mark.parametrize(
    ("by_band", "target"), [({"mild": 3}, None), ({ANY_BAND: 0}, None), ({ANY_BAND: 3}, "mild")]
)
def test_unscored_rules_allow_only_a_valid_any_rule_and_no_target(
    by_band: dict[str, int], target: str | None
) -> None:
    with pytest.raises(PlanningError) as caught:
        CourseRules(NO_SCALE, by_band, 7, 7, 7, target_band=target)
    assert caught.value.code == "invalid_rules"


def test_an_unscored_course_cannot_be_reviewed_against_a_baseline() -> None:
    current = score_items("vas-pain", {"score": 2})
    with pytest.raises(PlanningError) as caught:
        review_course(STRIAE, current, current, 3)
    assert caught.value.code == "scale_not_reviewable"
