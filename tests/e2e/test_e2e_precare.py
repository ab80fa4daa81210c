"""Step 4 in Chromium: the patient opens the signed link of her reminder on a phone (390×844,
touch) and confirms the pre-care items; the clinic sees them confirmed."""

from __future__ import annotations

from typing import Any

from e2e_day import Day
from playwright.sync_api import expect

from mesocare.portal.services import precare_status
from mesocare.scheduling.models import Appointment

PHONE = (390, 844)


def run(e2e: Any, day: Day) -> Appointment:
    plan = day.ensure_plan()
    day.ensure_course()
    path = day.portal_path("reminder", plan_id=plan.pk)
    page = e2e.page(PHONE, is_mobile=True, has_touch=True)
    e2e.step("open link", lambda: page.goto(path))
    expect(page.get_by_role("heading", name="Before your session")).to_be_visible()
    boxes = page.get_by_role("group", name="Preparation").get_by_role("checkbox")
    count = boxes.count()
    assert count >= 5
    # Made for a phone: nothing wider than the screen, the Confirm button reachable.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    assert e2e.axe(page) == []
    for i in range(count):
        boxes.nth(i).tap()
    expect(page.get_by_role("checkbox", checked=False)).to_have_count(0)
    e2e.screenshot(page, "portal-precare-phone")
    e2e.step("confirm", lambda: page.get_by_role("button", name="Confirm").tap())
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Before your session")
    e2e.screenshot(page, "portal-precare-done")

    course = Appointment.objects.filter(plan=plan).order_by("course_index")
    confirmed = [a for a in course if precare_status(a).complete]
    assert len(confirmed) == 1, "exactly the appointment of the link is confirmed"
    return confirmed[0]


def test_the_patient_confirms_pre_care_on_her_phone(e2e: Any, day: Day) -> None:
    run(e2e, day)
