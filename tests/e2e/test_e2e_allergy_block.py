"""Step 9 in Chromium: a patient allergic to soy gets a phosphatidylcholine (soy lecithin)
protocol blocked when the plan is proposed and again when the course is booked, each time with
the rule and its source on screen."""

from __future__ import annotations

import re
from typing import Any

from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.catalog.models import Protocol
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.models import Appointment

PC_PROTOCOL = "localized_fat_body_pc_dc"


def soy_allergic_patient(day: Day, protocol: Protocol) -> tuple[Any, TreatmentPlan]:
    """Her lipolysis plan was proposed before the allergy came up at a later intake."""
    from mesocare.patients.services import records
    from mesocare.plans.services import create_plan

    patient = day.new_patient("Sara", "Bianchi", indication="localized_fat_body")
    plan = create_plan(day.actor("practitioner"), patient, protocol=protocol)
    records.add_allergy(
        day.actor("reception"), patient, substance="Soy", reaction="hives", severity="moderate"
    )
    return patient, plan


def expect_allergy_block(page: Any) -> None:
    """The finding names the rule, what matched, and where the rule comes from."""
    finding = (
        page.get_by_role("alert").locator("li.finding").filter(has_text="allergy 'Soy' matches")
    )
    expect(finding).to_have_count(1)
    expect(finding).to_contain_text("Phosphatidylcholine")
    expect(finding.locator("strong")).not_to_be_empty()  # the rule's name
    expect(finding.locator(".finding-source")).to_contain_text(re.compile(r"^Source: \S"))


def run(e2e: Any, day: Day) -> None:
    protocol = Protocol.objects.get(organization__isnull=True, code=PC_PROTOCOL)
    patient, plan = soy_allergic_patient(day, protocol)
    day.ensure_schedule()

    # Plan time: proposing the protocol again is refused, nothing is stored.
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "practitioner@alpha.test", PASSWORD))
    e2e.step("plans", lambda: page.goto(f"/patients/{patient.pk}/plans"))
    flags = page.get_by_role("list", name="Allergies and safety flags")
    expect(flags).to_contain_text("Allergy: Soy")
    select = page.get_by_role("combobox", name="Protocol")
    select.select_option(label=select.locator("option", has_text=protocol.name).text_content())
    e2e.step("propose", lambda: page.get_by_role("button", name="Propose plan").click())
    expect_allergy_block(page)
    assert e2e.axe(page) == []
    e2e.screenshot(page, "plan-blocked-soy")
    assert TreatmentPlan.objects.filter(patient=patient).count() == 1

    # Booking time: the earlier plan cannot be booked either.
    desk = e2e.page()
    e2e.step("desk", lambda: e2e.sign_in(desk, "reception@alpha.test", PASSWORD))
    e2e.step("wizard", lambda: desk.goto(f"/plans/{plan.pk}/book"))
    e2e.step("find", lambda: desk.get_by_role("button", name="Find the best course").click())
    best = desk.get_by_role("region", name="Best course")
    e2e.step("book", lambda: best.get_by_role("button", name="Book these sessions").click())
    expect_allergy_block(desk)
    assert e2e.axe(desk) == []
    e2e.screenshot(desk, "booking-blocked-soy")
    assert not Appointment.objects.filter(plan=plan).exists()


def test_a_soy_allergy_blocks_phosphatidylcholine_at_plan_and_booking(e2e: Any, day: Day) -> None:
    run(e2e, day)
