"""Booking from the week grid, in Chromium: reception opens next week, clicks a day's first
free time of the practitioner's column, books a consultation for a new patient (registered
with the booking) and sees it on the calendar. axe finds nothing on each state."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.urls import resolve
from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.patients.models import Patient
from mesocare.scheduling.models import Appointment


def test_book_a_new_patients_consultation_from_the_week_grid(e2e: Any, day: Day) -> None:
    day.ensure_schedule()
    monday = day.today + dt.timedelta(days=7 - day.today.weekday())
    tz = day.clinic.location.tz
    resolve("/")
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    e2e.step("week", lambda: page.goto(f"/calendar?date={monday:%Y-%m-%d}&view=week"))
    free = page.get_by_role("link", name=re.compile(rf"^Book 09:00 on {monday:%a} "))
    expect(free.first).to_be_visible()
    assert e2e.axe(page) == []
    e2e.step("free time", lambda: free.first.click())
    panel = page.get_by_role("complementary")
    expect(panel.get_by_role("heading", name="Book a slot")).to_be_visible()
    expect(panel.get_by_label("Time")).to_have_value("09:00")
    expect(panel.get_by_label("Date")).to_have_value(f"{monday:%Y-%m-%d}")
    panel.get_by_label("A consultation for a new patient").check()
    expect(panel.get_by_label("Search patients")).to_be_hidden()
    panel.get_by_label("Given name").fill("Sofia")
    panel.get_by_label("Family name").fill("Marchetti")
    panel.get_by_label("Born on").fill("1987-09-21")
    panel.get_by_label("Sex at birth").select_option(label="Female")
    panel.get_by_label("Phone").fill("+39 347 555 0101")
    assert e2e.axe(page) == []
    e2e.screenshot(page, "calendar-week-consultation")
    e2e.step("book", lambda: panel.get_by_role("button", name="Book").click())
    expect(page.get_by_role("status").first).to_have_text("Appointment booked.")
    patient = Patient.objects.get(family_name="Marchetti")
    booked = Appointment.objects.get(patient=patient)
    assert booked.plan is None and booked.notes == "First consultation"
    assert booked.start.astimezone(tz) == dt.datetime.combine(monday, dt.time(9), tzinfo=tz)
    e2e.step("week again", lambda: page.goto(f"/calendar?date={monday:%Y-%m-%d}&view=week"))
    expect(page.get_by_role("link", name=re.compile("09:00 Sofia Marchetti"))).to_be_visible()
    expect(
        page.get_by_role("link", name=re.compile(rf"^Book 09:30 on {monday:%a} ")).first
    ).to_be_visible()
    assert e2e.axe(page) == []
