"""Reviewing a course in progress against its baseline."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mesocare.core.planning import (
    ANY_BAND,
    CourseRules,
    PlanningError,
    ReviewOutcome,
    review_course,
)
from mesocare.core.scales import ScoreResult, get_scale


def hexsel(total: int) -> ScoreResult:
    return ScoreResult(
        "hexsel-css", Decimal(total), get_scale("hexsel-css").band_for(Decimal(total))
    )


CELLULITE = CourseRules(
    scale_id="hexsel-css",
    sessions_by_band={"mild": 6, "moderate": 8, "severe": 10},
    interval_min_days=7,
    interval_target_days=10,
    interval_max_days=14,
    responder_min_improvement=Decimal(2),
    target_band="mild",
)


@pytest.mark.parametrize(
    ("current", "done", "outcome"),
    [
        (9, 1, ReviewOutcome.TOO_EARLY),
        (8, 1, ReviewOutcome.TOO_EARLY),
        (7, 2, ReviewOutcome.RESPONDING),
        (8, 2, ReviewOutcome.REVIEW_NEEDED),
        (9, 3, ReviewOutcome.REVIEW_NEEDED),
        (11, 3, ReviewOutcome.REVIEW_NEEDED),
        (5, 1, ReviewOutcome.COMPLETE),
        (5, 4, ReviewOutcome.COMPLETE),
        (9, 8, ReviewOutcome.COMPLETE),
        (7, 9, ReviewOutcome.COMPLETE),
    ],
)
def test_cellulite_course_outcomes(current: int, done: int, outcome: ReviewOutcome) -> None:
    """Baseline Hexsel 9 (moderate, 8 sessions); responder = 2 points; target band mild."""
    review = review_course(CELLULITE, hexsel(9), hexsel(current), done)
    assert review.outcome == outcome
    assert review.improvement == 9 - current


def test_a_worse_score_proposes_stopping_or_switching() -> None:
    review = review_course(CELLULITE, hexsel(9), hexsel(11), 3)
    assert review.outcome == "review_needed"
    assert review.reason.startswith("worse after 3 sessions (worse by 2 points")
    assert "switching protocol" in review.reason


def test_finishing_without_response_still_completes_but_says_so() -> None:
    review = review_course(CELLULITE, hexsel(9), hexsel(9), 8)
    assert (review.outcome, review.responding) == (ReviewOutcome.COMPLETE, False)
    assert "no response" in review.reason


def test_overridden_course_length_is_honoured() -> None:
    review = review_course(CELLULITE, hexsel(9), hexsel(7), 8, sessions_planned=10)
    assert (review.outcome, review.sessions_planned) == (ReviewOutcome.RESPONDING, 10)


def test_percentage_threshold_is_of_the_distance_above_the_scale_floor() -> None:
    """Glogau starts at 1: type III -> II is half of the way to type I."""
    rules = CourseRules(
        "glogau", {ANY_BAND: 4}, 14, 21, 28, responder_min_improvement_pct=Decimal(50)
    )
    baseline = ScoreResult("glogau", Decimal(3), "advanced")
    review = review_course(rules, baseline, ScoreResult("glogau", Decimal(2), "moderate"), 2)
    assert (review.improvement_pct, review.outcome) == (Decimal("50.0"), ReviewOutcome.RESPONDING)


def test_either_threshold_makes_a_responder() -> None:
    """mMASI 7.6 -> 5.6: 2.0 points is below 2.5 but 26.3% meets the 25% threshold."""
    rules = CourseRules(
        "mmasi",
        {ANY_BAND: 12},
        7,
        7,
        10,
        responder_min_improvement=Decimal("2.5"),
        responder_min_improvement_pct=Decimal(25),
    )
    review = review_course(
        rules,
        ScoreResult("mmasi", Decimal("7.6"), None),
        ScoreResult("mmasi", Decimal("5.6"), None),
        4,
    )
    assert (review.improvement_pct, review.outcome) == (Decimal("26.3"), ReviewOutcome.RESPONDING)


@pytest.mark.parametrize(
    ("scale_id", "key"), [("gais", "rating"), ("fitzpatrick-phototype", "type")]
)
def test_gais_and_phototype_are_not_reviewable(scale_id: str, key: str) -> None:
    rules = CourseRules(scale_id, {ANY_BAND: 3}, 7, 7, 7, responder_min_improvement=Decimal(1))
    scale = get_scale(scale_id)
    assessment = ScoreResult(scale_id, Decimal(3), scale.band_for(Decimal(3)))
    with pytest.raises(PlanningError) as caught:
        review_course(rules, assessment, assessment, 2)
    assert caught.value.code == "scale_not_reviewable"


def test_current_assessment_on_another_scale_is_a_mismatch() -> None:
    with pytest.raises(PlanningError) as caught:
        review_course(
            CELLULITE, hexsel(9), ScoreResult("nurnberger-muller", Decimal(2), "moderate"), 2
        )
    assert caught.value.code == "scale_mismatch"


@pytest.mark.parametrize("done", [-1, True])
def test_sessions_done_must_be_a_non_negative_count(done: int) -> None:
    with pytest.raises(PlanningError) as caught:
        review_course(CELLULITE, hexsel(9), hexsel(9), done)
    assert caught.value.code == "invalid_sessions"
