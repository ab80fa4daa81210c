"""Keyboard only, in Chromium: the booking wizard and the charting flow can be run with Tab,
typing, arrows and Enter, and the focused control always shows a visible focus ring."""

from __future__ import annotations

import re
from typing import Any

from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.charting.models import InjectionRecord
from mesocare.scheduling.models import Appointment

FOCUS_RING = """el => {
  const s = getComputedStyle(el);
  return el === document.activeElement && s.outlineStyle !== 'none'
    && parseFloat(s.outlineWidth) >= 2;
}"""


def tab_to(page: Any, target: Any, limit: int = 120) -> None:
    """Press Tab until `target` has the focus; it must show a visible focus ring."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if target.evaluate("el => el === document.activeElement"):
            assert target.evaluate(FOCUS_RING), "the focused control shows no focus ring"
            return
    raise AssertionError(f"Tab never reached {target}")


def test_reception_books_a_course_with_the_keyboard_alone(e2e: Any, day: Day) -> None:
    plan = day.ensure_plan()
    day.ensure_schedule()
    page = e2e.page()
    e2e.sign_in(page, "reception@alpha.test", PASSWORD)
    e2e.step("wizard", lambda: page.goto(f"/plans/{plan.pk}/book"))
    tab_to(page, page.get_by_label("From (time of day)"))
    page.keyboard.type("1200P")  # 12:00 PM in the (en-US) time field
    tab_to(page, page.get_by_label("Until (time of day)"))
    page.keyboard.type("0200P")
    find = page.get_by_role("button", name="Find the best course")
    tab_to(page, find)
    e2e.step("find", lambda: page.keyboard.press("Enter"))
    book = page.get_by_role("region", name="Best course").get_by_role(
        "button", name="Book these sessions"
    )
    expect(book).to_be_visible()
    tab_to(page, book)
    e2e.step("book", lambda: page.keyboard.press("Enter"))
    expect(page.get_by_role("status").first).to_have_text("The course is booked.")
    assert Appointment.objects.filter(plan=plan).count() == plan.sessions_planned


def test_the_practitioner_charts_an_injection_with_the_keyboard_alone(e2e: Any, day: Day) -> None:
    from mesocare.charting.services import sessions
    from mesocare.scheduling.services import appointments

    first = day.ensure_course()[0]
    lots = day.ensure_lots()
    appointments.check_in(day.actor("reception"), first, reason=day.early_reason(first))
    session = sessions.open_from_appointment(day.actor("practitioner"), first)

    page = e2e.page((1024, 768))
    e2e.sign_in(page, "practitioner@alpha.test", PASSWORD)
    e2e.step("session", lambda: page.goto(f"/sessions/{session.pk}"))
    back = page.get_by_role("tab", name="Back")
    tab_to(page, back)
    page.keyboard.press("Enter")
    zone = page.get_by_role("link", name="Thigh, posterior, left", exact=True)
    tab_to(page, zone)
    e2e.step("zone", lambda: page.keyboard.press("Enter"))
    expect(page.get_by_role("heading", name="Inject: Thigh, posterior, left")).to_be_visible()
    # The form takes the focus after a zone was chosen.
    expect(page.get_by_label("Technique")).to_be_focused()
    # 60 points × the 0.05 mL per point the form starts with = the 3 mL total typed
    for label, text in (("Depth (mm)", "3"), ("Points", "60"), ("Total volume (mL)", "3")):
        field = page.get_by_label(label)
        tab_to(page, field)
        page.keyboard.press("Control+A")
        page.keyboard.type(text)
    lot = page.get_by_label("Product lot 1")
    tab_to(page, lot)
    caffeine = lot.locator("option", has_text="CAF-1").text_content()
    while lot.evaluate("el => el.options[el.selectedIndex].text") != caffeine:
        page.keyboard.press("ArrowDown")
    volume = page.get_by_label("Volume 1 (mL)")
    tab_to(page, volume)
    page.keyboard.press("Control+A")
    page.keyboard.type("3")
    lot2 = page.get_by_label("Product lot 2")
    tab_to(page, lot2)
    while lot2.evaluate("el => el.selectedIndex") != 0:  # no second lot
        page.keyboard.press("ArrowUp")
    chart = page.get_by_role("button", name="Chart injection")
    tab_to(page, chart)
    e2e.step("chart", lambda: page.keyboard.press("Enter"))
    expect(page.get_by_role("status").first).to_have_text("Injection #1 charted.")
    injection = InjectionRecord.objects.get(session=session)
    assert injection.zone_id == "thigh_posterior_l" and injection.points == 60
    assert [c.lot_id for c in injection.components.all()] == [lots["caffeine"].pk]
    expect(page.get_by_role("region", name="Running totals and dose limits")).to_contain_text(
        re.compile(r"Total volume\s*3\.000 mL")
    )
