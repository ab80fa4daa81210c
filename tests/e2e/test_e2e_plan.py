"""Step 2 in Chromium: the practitioner scores cellulite on the Hexsel scale (anchor texts on
screen), sees the band, accepts the proposed plan (8 weekly sessions) and prints it as PDF."""

from __future__ import annotations

import re
from typing import Any

from e2e_day import CLINIC_PROTOCOL, PASSWORD, SEVERE, Day
from playwright.sync_api import expect

from mesocare.assessments.models import Assessment
from mesocare.plans.models import TreatmentPlan

ANCHORS = {  # item label → the anchor text of the level chosen
    "A. Number of evident depressions": "3 — A large amount: 10 or more",
    "B. Depth of depressions": "2 — Medium depth",
    "C. Morphological appearance of skin-surface alterations (raised areas)": (
        "2 — 'Cottage cheese' appearance"
    ),
    "D. Grade of laxity, flaccidity or sagging skin": "2 — Moderately draped appearance",
    "E. Nürnberger-Müller classification": "2 — Grade II",
}


def choose(select: Any, text: str) -> None:
    """Select the option whose label contains `text`."""
    label = select.locator("option", has_text=text).text_content()
    select.select_option(label=label)


def run(e2e: Any, day: Day) -> TreatmentPlan:
    patient = day.ensure_patient()
    day.ensure_protocol()
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "practitioner@alpha.test", PASSWORD))
    e2e.step("patient", lambda: page.goto(f"/patients/{patient.pk}"))
    tabs = page.get_by_role("navigation", name="Patient record")
    e2e.step("assessments tab", lambda: tabs.get_by_role("link", name="Assessments").click())
    page.get_by_label("Scale").select_option(label="Hexsel Cellulite Severity Scale")
    e2e.step("scale form", lambda: page.get_by_role("button", name="Start").click())

    # Every level of every item shows its anchor text; the score appears once all are rated.
    expect(page.get_by_role("heading", name="Hexsel Cellulite Severity Scale")).to_be_visible()
    expect(page.get_by_text("'Mattress' appearance")).to_be_visible()
    expect(page.get_by_text("Severely draped appearance")).to_be_visible()
    score = page.get_by_role("status").filter(has_text="items rated")
    expect(score).to_have_text("0 of 5 items rated.")
    for item, anchor in ANCHORS.items():
        group = page.get_by_role("group", name=item)
        e2e.step(f"rate {item[:2]}", lambda g=group, a=anchor: g.get_by_label(a).check())
    box = page.locator("#score-preview").get_by_role("status")
    expect(box).to_contain_text("Total: 11")
    expect(box).to_contain_text("Severe")
    e2e.screenshot(page, "hexsel-assessment")
    e2e.step("record", lambda: page.get_by_role("button", name="Record assessment").click())
    expect(page.get_by_role("status").first).to_contain_text("Assessment recorded.")
    assessment = Assessment.objects.get(patient=patient, scale_id="hexsel-css")
    assert assessment.total == 11 and assessment.band == "severe"
    assert assessment.items == SEVERE

    # The proposed plan follows the protocol's rule for the band: 8 sessions, weekly.
    e2e.step("plans tab", lambda: tabs.get_by_role("link", name="Plans").click())
    choose(page.get_by_role("combobox", name="Protocol"), CLINIC_PROTOCOL)
    choose(page.get_by_label("Baseline assessment"), "Hexsel Cellulite Severity Scale 11 (severe)")
    e2e.step("propose", lambda: page.get_by_role("button", name="Propose plan").click())
    expect(page.get_by_role("status").first).to_have_text("Plan proposed.")
    plan_card = page.get_by_role("region", name=re.compile(re.escape(CLINIC_PROTOCOL)))
    expect(plan_card).to_contain_text("Proposed")
    expect(plan_card.locator(".plan-counts")).to_contain_text("8planned")
    expect(plan_card).to_contain_text("7 / 7 / 21 days (min / target / max)")
    expect(plan_card).to_contain_text("severe")
    assert e2e.axe(page) == []
    e2e.screenshot(page, "plan-page")

    # Accepting asks for confirmation, then the plan is active.
    e2e.step("activate", lambda: page.get_by_role("link", name="Activate").click())
    e2e.step("confirm", lambda: page.get_by_role("button", name="Activate").click())
    expect(page.get_by_role("status").first).to_have_text("Plan updated.")
    expect(plan_card).to_contain_text("Active")
    plan = TreatmentPlan.objects.get(patient=patient)
    assert (plan.status, plan.sessions_planned, plan.interval_target_days) == ("active", 8, 7)

    # The printable plan is a PDF.
    href = page.get_by_role("link", name="Printable plan (PDF)").get_attribute("href")
    response = e2e.step("pdf", lambda: page.request.get(href))
    assert response.status == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.body()[:5] == b"%PDF-"
    return plan


def test_practitioner_scores_hexsel_and_accepts_the_proposed_plan(e2e: Any, day: Day) -> None:
    run(e2e, day)
