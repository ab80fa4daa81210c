"""Step 7 in Chromium: at session 2 the practitioner re-scores on the plan page; the review
says "responding"; the plan's progress chart shows both points (baseline and re-score)."""

from __future__ import annotations

import re
from typing import Any

from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

IMPROVED = {  # Hexsel 2+2+2+2+1 = 9 (moderate): 2 points better than the baseline 11
    "A. Number of evident depressions": "2 — A moderate amount: 5-9",
    "B. Depth of depressions": "2 — Medium depth",
    "C. Morphological appearance of skin-surface alterations (raised areas)": (
        "2 — 'Cottage cheese' appearance"
    ),
    "D. Grade of laxity, flaccidity or sagging skin": "2 — Moderately draped appearance",
    "E. Nürnberger-Müller classification": "1 — Grade I",
}


def run(e2e: Any, day: Day) -> None:
    plan = day.ensure_plan()
    day.ensure_session()  # session 1, signed
    day.a_week_passes()
    day.treat(day.ensure_course()[1])  # session 2, signed

    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "practitioner@alpha.test", PASSWORD))
    e2e.step("plan", lambda: page.goto(f"/plans/{plan.pk}"))
    review = page.get_by_role("region", name=re.compile("^Review with a new assessment"))
    for item, anchor in IMPROVED.items():
        review.get_by_role("group", name=item).get_by_label(anchor).check()
    expect(review.get_by_role("status")).to_contain_text("Total: 9")
    expect(review.get_by_role("status")).to_contain_text("Moderate")
    review.get_by_label("Sessions done").fill("2")
    e2e.step("review", lambda: review.get_by_role("button", name="Review plan").click())
    latest = page.get_by_role("region", name="Latest review")
    expect(latest).to_contain_text("Responding")
    expect(latest).to_contain_text("continue the course")
    e2e.screenshot(page, "plan-review-responding")

    # The progress chart: baseline and re-score, two points of one series.
    tabs = page.get_by_role("navigation", name="Patient record")
    e2e.step("outcomes", lambda: tabs.get_by_role("link", name="Outcomes").click())
    e2e.step("progress", lambda: page.get_by_role("link", name=plan.protocol.name).click())
    chart = page.get_by_role("img", name="Scale totals over time")
    expect(chart).to_be_visible()
    page.wait_for_function(
        "() => window.Chart && Chart.getChart(document.getElementById('chart-scales'))"
    )
    points = page.evaluate(
        "() => Chart.getChart(document.getElementById('chart-scales')).data.datasets"
        ".filter(d => d.label === 'hexsel-css')[0].data.map(p => p.y)"
    )
    assert points == [11, 9]
    assert e2e.axe(page) == []
    e2e.screenshot(page, "progress-chart")


def test_the_session_2_review_says_responding_and_the_chart_shows_both_points(
    e2e: Any, day: Day
) -> None:
    run(e2e, day)
