"""Step 4 in Chromium: the patient opens the signed link of her reminder on a phone (390×844,
touch): confirming with nothing answered is refused beside each item; she answers every item,
one "I could not follow this" with a note, which the clinic sees."""

from __future__ import annotations

from typing import Any

from e2e_day import Day
from playwright.sync_api import expect

from mesocare.portal.precare import precare_status
from mesocare.scheduling.models import Appointment

PHONE = (390, 844)


def run(e2e: Any, day: Day) -> Appointment:
    plan = day.ensure_plan()
    day.ensure_course()
    path = day.portal_path("reminder", plan_id=plan.pk)
    page = e2e.page(PHONE, is_mobile=True, has_touch=True)
    e2e.step("open link", lambda: page.goto(path))
    expect(page.get_by_role("heading", name="Before your session")).to_be_visible()
    done = page.get_by_role("radio", name="Done")
    count = done.count()
    assert count >= 5
    # Made for a phone: nothing wider than the screen, the Confirm button reachable.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE[0]
    assert e2e.axe(page) == []
    # Nothing answered is not a confirmation (issue 18, bug 7): the message is beside each item.
    e2e.step("confirm nothing", lambda: page.get_by_role("button", name="Confirm").tap())
    expect(
        page.get_by_text("Answer this point: done, or that you could not follow it.")
    ).to_have_count(count)
    assert e2e.axe(page) == []
    first = page.get_by_role("group").first
    first.get_by_role("radio", name="I could not follow this").tap()
    first.get_by_label("Note (optional)").fill("I needed a painkiller for a headache.")
    for i in range(1, count):
        done.nth(i).tap()
    expect(page.get_by_role("radio", checked=True)).to_have_count(count)
    e2e.screenshot(page, "portal-precare-phone")
    e2e.step("confirm", lambda: page.get_by_role("button", name="Confirm").tap())
    expect(page.get_by_role("heading", level=1)).not_to_have_text("Before your session")
    e2e.screenshot(page, "portal-precare-done")

    course = Appointment.objects.filter(plan=plan).order_by("course_index")
    confirmed = [a for a in course if precare_status(a).responded]
    assert len(confirmed) == 1, "exactly the appointment of the link is answered"
    status = precare_status(confirmed[0])
    assert [i.note for i in status.not_followed] == ["I needed a painkiller for a headache."]
    return confirmed[0]


def test_the_patient_confirms_pre_care_on_her_phone(e2e: Any, day: Day) -> None:
    run(e2e, day)
