"""Step 3 in Chromium: reception books the whole course in the lunchtime window in one action and
sees it on the calendar; a second browser context that had the same practitioner slots on
screen and books them a moment later gets a clear conflict message (and books nothing)."""

from __future__ import annotations

import re
from typing import Any

from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.scheduling.models import Appointment

LUNCHTIME = ("12:00", "14:00")


def find_course(e2e: Any, page: Any, plan: Any, label: str) -> Any:
    """Open the wizard, ask for the lunchtime window with the practitioner; the best course."""
    e2e.step(f"{label}: wizard", lambda: page.goto(f"/plans/{plan.pk}/book"))
    page.get_by_label("From (time of day)").fill(LUNCHTIME[0])
    page.get_by_label("Until (time of day)").fill(LUNCHTIME[1])
    page.get_by_label("Practitioner", exact=True).select_option(label="practitioner alpha")
    e2e.step(
        f"{label}: proposals",
        lambda: page.get_by_role("button", name="Find the best course").click(),
    )
    best = page.get_by_role("region", name="Best course")
    expect(best.get_by_role("listitem")).to_have_count(plan.sessions_planned)
    return best


def run(e2e: Any, day: Day, rival_plan: Any | None = None) -> list[Appointment]:
    plan = day.ensure_plan()
    day.ensure_schedule()
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    e2e.step("patient", lambda: page.goto(f"/patients/{plan.patient_id}/appointments"))
    expect(page.get_by_role("listitem").filter(has_text="not booked")).to_have_count(8)
    e2e.step("book course", lambda: page.get_by_role("link", name="Book course").click())
    expect(page).to_have_title(re.compile("^Book course"))
    best = find_course(e2e, page, plan, "reception")
    for item in best.get_by_role("listitem").all():  # every session at lunchtime
        expect(item).to_contain_text(re.compile(r"\b1[23]:[0-5][0-9]\b"))
    assert e2e.axe(page) == []
    e2e.screenshot(page, "book-course")

    rival = None
    if rival_plan is not None:  # the same slots on another desk's screen
        rival = e2e.page()
        e2e.sign_in(rival, "admin@alpha.test", PASSWORD)
        rival_best = find_course(e2e, rival, rival_plan, "rival")
        assert rival_best.get_by_role("listitem").all_text_contents() == (
            best.get_by_role("listitem").all_text_contents()
        )

    # One action books the whole course.
    e2e.step("book", lambda: best.get_by_role("button", name="Book these sessions").click())
    expect(page.get_by_role("status").first).to_have_text("The course is booked.")
    expect(page.get_by_role("listitem").filter(has_text="not booked")).to_have_count(0)
    booked = list(Appointment.objects.filter(plan=plan).order_by("start"))
    assert [a.course_index for a in booked] == list(range(1, 9))
    tz = day.clinic.location.tz
    assert all(12 <= a.start.astimezone(tz).hour < 14 for a in booked)
    gaps = {(b.start - a.start).days for a, b in zip(booked, booked[1:], strict=False)}
    assert gaps == {7}

    if rival is not None:
        e2e.step(
            "rival books",
            lambda: (
                rival.get_by_role("region", name="Best course")
                .get_by_role("button", name="Book these sessions")
                .click()
            ),
        )
        alert = rival.get_by_role("alert")
        expect(alert).to_contain_text("Nothing was booked")
        expect(alert).to_contain_text("Session 1: The practitioner is busy then.")
        e2e.screenshot(rival, "booking-conflict")
        assert not Appointment.objects.filter(plan=rival_plan).exists()

    # The calendar shows the first session on its day, in the practitioner's column.
    first = booked[0].start.astimezone(tz)
    e2e.step("calendar", lambda: page.goto(f"/calendar?date={first:%Y-%m-%d}"))
    cell = page.get_by_role("link", name=re.compile(f"{first:%H:%M} Marta Verdi"))
    expect(cell).to_contain_text("session 1")
    assert e2e.axe(page) == []
    e2e.screenshot(page, "calendar")
    return booked


def test_reception_books_the_course_at_lunchtime_and_a_rival_desk_gets_a_conflict(
    e2e: Any, day: Day
) -> None:
    day.ensure_plan()
    rival_plan = day.plan_for(day.new_patient("Luca", "Neri"))
    run(e2e, day, rival_plan)
