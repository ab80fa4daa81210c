"""Issue 18, bug 10 in Chromium: booking a course queues ONE confirmation listing every
session (the clinic's local time with its zone, the location), not one per session; each
session keeps its own reminder."""

from __future__ import annotations

import re
from typing import Any

from django.urls import resolve
from e2e_day import PASSWORD, Day
from playwright.sync_api import expect


def test_a_booked_course_has_one_confirmation_listing_its_sessions(e2e: Any, day: Day) -> None:
    course = day.ensure_course()
    tz = day.clinic.location.tz
    resolve("/")  # the URLconf imported before the first page (a loaded machine is slow)
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    e2e.step("messages", lambda: page.goto("/messages"))
    rows = page.get_by_role("row").filter(has_text="Verdi, Marta")
    confirmations = rows.filter(has_text="Booking confirmation")
    expect(confirmations).to_have_count(1)
    assert e2e.axe(page) == []
    e2e.step("preview", lambda: confirmations.get_by_role("link", name="Preview").click())
    body = page.get_by_role("main")
    expect(body).to_contain_text(f"Your course of {len(course)} sessions is booked:")
    for appointment in course:
        local = appointment.start.astimezone(tz)
        expect(body).to_contain_text(re.compile(f"{local.day} .*{local:%H:%M} {local.tzname()}"))
    assert e2e.axe(page) == []
    e2e.screenshot(page, "course-confirmation")
