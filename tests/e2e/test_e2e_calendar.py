"""The calendar to book from, in Chromium: reception clicks an empty slot of the day grid,
finds the patient inside the booking form, books a consultation and sees it placed at its
local time; a slot that is taken is explained beside the form; an appointment dragged to an
empty slot moves there. axe finds nothing of any impact on each state."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.urls import resolve
from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.scheduling.models import Appointment


def next_weekday(today: dt.date) -> dt.date:
    day = today + dt.timedelta(days=1)
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def slot(page: Any, time: str, column: int = 0) -> Any:
    return page.locator(f'td.free[data-slot="{time}"][data-col="{column}"]')


def test_book_from_an_empty_slot_conflicts_inline_and_drag_to_move(e2e: Any, day: Day) -> None:
    day.ensure_schedule()
    patient = day.ensure_patient()
    other = day.new_patient("Luca", "Neri")
    date = next_weekday(day.today)
    tz = day.clinic.location.tz
    resolve("/")  # the URLconf imported before the first page (a loaded machine is slow)
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    e2e.step("calendar", lambda: page.goto(f"/calendar?date={date:%Y-%m-%d}"))
    assert e2e.axe(page) == []

    # Click the empty 10:00 slot: the form opens in the side panel with the slot filled in.
    e2e.step("slot", lambda: slot(page, "10:00").click())
    panel = page.get_by_role("complementary")
    expect(panel.get_by_role("heading", name="Book a slot")).to_be_visible()
    expect(panel.get_by_label("Time")).to_have_value("10:00")
    expect(panel.get_by_label("Date")).to_have_value(f"{date:%Y-%m-%d}")
    e2e.step("search", lambda: panel.get_by_label("Search patients").fill("Verdi"))
    choice = panel.get_by_role("radio", name=re.compile("Verdi, Marta"))
    expect(choice).to_be_visible()
    choice.check()
    panel.get_by_label("Duration").select_option(label="45 minutes")
    panel.get_by_label("Reason for the visit").fill("First consultation")
    assert e2e.axe(page) == []
    e2e.screenshot(page, "calendar-book-slot")
    e2e.step("book", lambda: panel.get_by_role("button", name="Book").click())
    expect(page.get_by_role("status").first).to_have_text("Appointment booked.")
    booked = Appointment.objects.get(patient=patient)
    assert booked.start.astimezone(tz) == dt.datetime.combine(date, dt.time(10), tzinfo=tz)
    assert booked.end - booked.start == dt.timedelta(minutes=45)
    expect(page.get_by_role("link", name=re.compile("10:00 Marta Verdi"))).to_be_visible()

    # 10:30 is inside that appointment: booking it for another patient is explained inline.
    e2e.step("slot taken", lambda: page.goto(f"/calendar?date={date:%Y-%m-%d}"))
    e2e.step("slot 11", lambda: slot(page, "11:00").click())
    panel.get_by_label("Time").fill("10:30")
    e2e.step("search 2", lambda: panel.get_by_label("Search patients").fill("Neri"))
    panel.get_by_role("radio", name=re.compile("Neri, Luca")).check()
    e2e.step("book 2", lambda: panel.get_by_role("button", name="Book").click())
    expect(panel.get_by_role("alert")).to_contain_text("The practitioner is busy then.")
    assert not Appointment.objects.filter(patient=other).exists()
    assert e2e.axe(page) == []
    e2e.screenshot(page, "calendar-book-conflict")

    # Drag the booked appointment to the empty 15:00 slot.
    e2e.step("reload", lambda: page.goto(f"/calendar?date={date:%Y-%m-%d}"))
    source = page.locator(f'td.appt[data-move-url="/appointments/{booked.pk}/move"]')
    # HTML5 drag and drop as the browser fires it (Playwright's documented way for a
    # DataTransfer): dragstart on the appointment, dragover and drop on the empty slot.
    transfer = page.evaluate_handle("() => new DataTransfer()")
    target = slot(page, "15:00")

    def drag() -> None:
        source.locator("a").dispatch_event("dragstart", {"dataTransfer": transfer})
        target.dispatch_event("dragover", {"dataTransfer": transfer})
        target.dispatch_event("drop", {"dataTransfer": transfer})

    e2e.step("drag", drag)
    expect(page.get_by_role("status").first).to_have_text("Appointment moved.")
    booked.refresh_from_db()
    assert booked.start.astimezone(tz) == dt.datetime.combine(date, dt.time(15), tzinfo=tz)
    assert e2e.axe(page) == []

    # The week grid places it on its day, at its local time.
    e2e.step("week", lambda: page.goto(f"/calendar?date={date:%Y-%m-%d}&view=week"))
    expect(page.get_by_role("link", name=re.compile("15:00 Marta Verdi"))).to_be_visible()
    assert e2e.axe(page) == []
    e2e.screenshot(page, "calendar-week")
