"""Proposing a course from protocol rules and a baseline assessment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from mesocare.core.planning import (
    ANY_BAND,
    CourseRules,
    IntervalDays,
    PlannedSessionWindow,
    PlanningError,
    maintenance_due,
    propose_course,
)
from mesocare.core.scales import ScoreResult, score_items

CELLULITE = CourseRules(
    scale_id="hexsel-css",
    sessions_by_band={"mild": 6, "moderate": 8, "severe": 10},
    interval_min_days=7,
    interval_target_days=10,
    interval_max_days=14,
    maintenance_interval_days=30,
    responder_min_improvement=Decimal(2),
    target_band="mild",
)

HEXSEL_MODERATE = score_items(
    "hexsel-css",
    {
        "number_of_depressions": 2,
        "depth_of_depressions": 2,
        "morphology": 2,
        "laxity": 1,
        "nurnberger_muller": 2,
    },
)


def _code(exc: pytest.ExceptionInfo[PlanningError]) -> str:
    return exc.value.code


def test_moderate_cellulite_gets_the_moderate_rule_with_dated_windows() -> None:
    proposal = propose_course(CELLULITE, HEXSEL_MODERATE, date(2025, 3, 3))
    assert proposal.sessions_planned == proposal.sessions_by_rule == 8
    assert proposal.baseline_band == "moderate"
    assert proposal.interval == IntervalDays(7, 10, 14)
    assert proposal.response_check_session == 2
    assert proposal.maintenance_interval_days == 30
    assert proposal.override_reason is None
    assert proposal.planned_sessions[0] == PlannedSessionWindow(
        1, date(2025, 3, 3), date(2025, 3, 3), date(2025, 3, 3)
    )
    assert proposal.planned_sessions[2] == PlannedSessionWindow(
        3, date(2025, 3, 17), date(2025, 3, 23), date(2025, 3, 31)
    )
    assert [w.index for w in proposal.planned_sessions] == list(range(1, 9))


def test_without_a_start_date_the_windows_are_undated() -> None:
    proposal = propose_course(CELLULITE, HEXSEL_MODERATE)
    assert proposal.planned_sessions[3] == PlannedSessionWindow(4, None, None, None)


def test_baseline_on_another_scale_is_a_scale_mismatch() -> None:
    baseline = score_items("nurnberger-muller", {"grade": 2})
    with pytest.raises(PlanningError) as caught:
        propose_course(CELLULITE, baseline)
    assert _code(caught) == "scale_mismatch"


def test_baseline_without_cellulite_has_nothing_to_treat() -> None:
    baseline = ScoreResult("hexsel-css", Decimal(0), "none")
    with pytest.raises(PlanningError, match="baseline band 'none': nothing to treat") as caught:
        propose_course(CELLULITE, baseline)
    assert _code(caught) == "nothing_to_treat"


def test_band_without_a_rule_has_nothing_to_treat() -> None:
    rules = CourseRules("gags", {"moderate": 6}, 14, 14, 21, responder_min_improvement=Decimal(5))
    with pytest.raises(PlanningError) as caught:
        propose_course(rules, ScoreResult("gags", Decimal(4), "mild"))
    assert _code(caught) == "nothing_to_treat"


def test_a_baseline_whose_band_contradicts_its_total_is_rejected() -> None:
    with pytest.raises(PlanningError) as caught:
        propose_course(CELLULITE, ScoreResult("hexsel-css", Decimal(9), "severe"))
    assert _code(caught) == "invalid_assessment"


def test_override_that_differs_from_the_rule_needs_a_reason() -> None:
    with pytest.raises(PlanningError) as caught:
        propose_course(CELLULITE, HEXSEL_MODERATE, sessions_override=10, override_reason=" ok  ")
    assert _code(caught) == "override_reason_required"
    proposal = propose_course(
        CELLULITE, HEXSEL_MODERATE, sessions_override=10, override_reason="  fibrotic areas "
    )
    assert (proposal.sessions_planned, proposal.sessions_by_rule) == (10, 8)
    assert proposal.override_reason == "fibrotic areas"
    assert len(proposal.planned_sessions) == 10


def test_override_equal_to_the_rule_needs_no_reason() -> None:
    proposal = propose_course(CELLULITE, HEXSEL_MODERATE, sessions_override=8)
    assert (proposal.sessions_planned, proposal.override_reason) == (8, None)


@pytest.mark.parametrize("sessions", [0, 31, -1, True])
def test_override_outside_one_to_thirty_is_rejected(sessions: int) -> None:
    with pytest.raises(PlanningError) as caught:
        propose_course(
            CELLULITE, HEXSEL_MODERATE, sessions_override=sessions, override_reason="x" * 9
        )
    assert _code(caught) == "sessions_out_of_range"


def test_response_check_is_never_after_the_last_session() -> None:
    proposal = propose_course(
        CELLULITE, HEXSEL_MODERATE, sessions_override=1, override_reason="trial"
    )
    assert proposal.response_check_session == 1


def test_bandless_mmasi_plans_through_the_any_band_rule() -> None:
    rules = CourseRules(
        "mmasi", {ANY_BAND: 12}, 7, 7, 10, responder_min_improvement_pct=Decimal(30)
    )
    baseline = ScoreResult("mmasi", Decimal("7.6"), None)
    assert propose_course(rules, baseline).sessions_planned == 12
    with pytest.raises(PlanningError) as caught:
        propose_course(rules, ScoreResult("mmasi", Decimal("0.0"), None))
    assert _code(caught) == "nothing_to_treat"


@pytest.mark.parametrize("scale_id", ["gais", "fitzpatrick-phototype"])
def test_no_course_is_planned_on_a_non_severity_scale(scale_id: str) -> None:
    rules = CourseRules(scale_id, {ANY_BAND: 3}, 7, 7, 7, responder_min_improvement=Decimal(1))
    with pytest.raises(PlanningError) as caught:
        propose_course(
            rules, score_items(scale_id, {"rating" if scale_id == "gais" else "type": 3})
        )
    assert _code(caught) == "scale_not_reviewable"


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"scale_id": "nope"}, "unknown scale"),
        ({"sessions_by_band": {"extreme": 4}}, "no band 'extreme'"),
        ({"sessions_by_band": {"none": 4}}, "nothing to treat"),
        ({"sessions_by_band": {"mild": 0}}, "1..30"),
        ({"sessions_by_band": {"mild": 31}}, "1..30"),
        ({"interval_min_days": 0}, "1 <= min"),
        ({"interval_target_days": 6}, "1 <= min"),
        ({"interval_max_days": 9}, "1 <= min"),
        ({"response_check_session": 0}, "response_check_session"),
        ({"maintenance_interval_days": 0}, "maintenance"),
        ({"responder_min_improvement": None}, "and/or"),
        ({"responder_min_improvement": Decimal(0)}, "positive"),
        ({"responder_min_improvement_pct": Decimal(101)}, "(0, 100]"),
        ({"target_band": "extreme"}, "no band 'extreme'"),
    ],
)
def test_invalid_rules_are_refused_when_built(changes: dict[str, object], fragment: str) -> None:
    fields = {
        "scale_id": "hexsel-css",
        "sessions_by_band": {"mild": 6},
        "interval_min_days": 7,
        "interval_target_days": 10,
        "interval_max_days": 14,
        "responder_min_improvement": Decimal(2),
    } | changes
    with pytest.raises(PlanningError) as caught:
        CourseRules(**fields)  # type: ignore[arg-type]
    assert fragment in caught.value.message
    assert _code(caught) in {"invalid_rules", "unknown_scale"}


def test_rules_do_not_follow_later_edits_of_the_callers_dict() -> None:
    sessions = {"mild": 6}
    rules = CourseRules("hexsel-css", sessions, 7, 7, 7, responder_min_improvement=Decimal(1))
    sessions["mild"] = 99
    assert rules.sessions_by_band["mild"] == 6


def test_maintenance_is_due_one_interval_after_completion() -> None:
    assert maintenance_due(date(2025, 1, 31), 30) == date(2025, 3, 2)
    assert maintenance_due(date(2025, 1, 31), None) is None
    with pytest.raises(PlanningError):
        maintenance_due(date(2025, 1, 31), 0)
