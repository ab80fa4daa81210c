"""Properties of course proposals and reviews over generated rules and assessments."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mesocare.core.planning import (
    ANY_BAND,
    CourseRules,
    ReviewOutcome,
    propose_course,
    review_course,
)
from mesocare.core.scales import ScaleDef, ScoreResult, all_scales

SEVERITY_SCALES = [s for s in all_scales() if s.higher_is_worse]


def _totals(scale: ScaleDef) -> list[Decimal]:
    """Every total the scale can produce, on its resolution grid."""
    # VAS items move in tenths and MASI/mMASI weights are tenths; the rest are whole numbers.
    fine = not scale.bands or any(item.step is not None for item in scale.items)
    step = Decimal("0.1") if fine else Decimal(1)
    count = int((scale.total_max - scale.total_min) / step)
    return [scale.total_min + i * step for i in range(count + 1)]


def _treatable(scale: ScaleDef, total: Decimal) -> bool:
    band = scale.band_for(total)
    return band != "none" and (band is not None or total > scale.total_min)


def _assessment(scale: ScaleDef, total: Decimal) -> ScoreResult:
    return ScoreResult(scale.id, total, scale.band_for(total))


@st.composite
def cases(draw: st.DrawFn) -> tuple[CourseRules, ScoreResult, ScaleDef]:
    scale = draw(st.sampled_from(SEVERITY_SCALES))
    treatable = [t for t in _totals(scale) if _treatable(scale, t)]
    baseline = _assessment(scale, draw(st.sampled_from(treatable)))
    codes = [b.code for b in scale.bands if b.code != "none"]
    sessions = st.integers(1, 30)
    by_band: dict[str, int] = {code: draw(sessions) for code in codes} or {ANY_BAND: draw(sessions)}
    low = draw(st.integers(1, 30))
    target = draw(st.integers(low, 45))
    high = draw(st.integers(target, 60))
    points = draw(st.none() | st.decimals("0.1", "10", places=1))
    pct = (
        draw(st.decimals("1", "100", places=0))
        if points is None
        else draw(st.none() | st.decimals("1", "100", places=0))
    )
    rules = CourseRules(
        scale_id=scale.id,
        sessions_by_band=by_band,
        interval_min_days=low,
        interval_target_days=target,
        interval_max_days=high,
        response_check_session=draw(st.integers(1, 5)),
        responder_min_improvement=points,
        responder_min_improvement_pct=pct,
        target_band=draw(st.none() | st.sampled_from(codes)) if codes else None,
    )
    return rules, baseline, scale


@given(cases(), st.dates(date(2000, 1, 1), date(2090, 1, 1)))
def test_proposal_follows_the_band_rule_and_the_interval(
    case: tuple[CourseRules, ScoreResult, ScaleDef], start: date
) -> None:
    rules, baseline, _ = case
    proposal = propose_course(rules, baseline, start)
    expected = rules.sessions_by_band.get(baseline.band or ANY_BAND)
    assert proposal.sessions_planned == expected == len(proposal.planned_sessions)
    windows = [(w.index, w.earliest, w.target, w.latest) for w in proposal.planned_sessions]
    dated = [(i, e, t, lt) for i, e, t, lt in windows if e and t and lt]
    assert len(dated) == len(windows)
    assert dated[0][1:] == (start, start, start)
    for (i0, e0, t0, l0), (i1, e1, t1, l1) in zip(dated, dated[1:], strict=False):
        assert i1 == i0 + 1
        assert t1 - t0 == timedelta(days=rules.interval_target_days)
        assert rules.interval_min_days <= (e1 - e0).days <= rules.interval_max_days
        assert rules.interval_min_days <= (l1 - l0).days <= rules.interval_max_days
        assert e1 <= t1 <= l1


@given(cases(), st.data())
def test_review_gives_exactly_one_outcome_for_every_valid_input(
    case: tuple[CourseRules, ScoreResult, ScaleDef], data: st.DataObject
) -> None:
    rules, baseline, scale = case
    current = _assessment(scale, data.draw(st.sampled_from(_totals(scale))))
    review = review_course(rules, baseline, current, data.draw(st.integers(0, 40)))
    assert review.outcome in set(ReviewOutcome)
    assert review.reason


@given(cases(), st.data())
def test_a_better_current_score_never_gives_a_worse_outcome(
    case: tuple[CourseRules, ScoreResult, ScaleDef], data: st.DataObject
) -> None:
    rules, baseline, scale = case
    totals = _totals(scale)
    worse_at = data.draw(st.integers(0, len(totals) - 1))
    better_at = data.draw(st.integers(0, worse_at))
    done = data.draw(st.integers(0, 40))
    worse = review_course(rules, baseline, _assessment(scale, totals[worse_at]), done)
    better = review_course(rules, baseline, _assessment(scale, totals[better_at]), done)
    assert better.outcome.rank <= worse.outcome.rank


@given(cases(), st.data())
def test_review_is_deterministic(
    case: tuple[CourseRules, ScoreResult, ScaleDef], data: st.DataObject
) -> None:
    rules, baseline, scale = case
    current = _assessment(scale, data.draw(st.sampled_from(_totals(scale))))
    done = data.draw(st.integers(0, 40))
    assert review_course(rules, baseline, current, done) == review_course(
        rules, baseline, current, done
    )
