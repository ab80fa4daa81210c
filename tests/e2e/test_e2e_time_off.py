"""Time off in Chromium: reception opens the calendar of the location, follows "Time off", enters
a morning of training for the practitioner in the location's time zone (the browser runs in
another one), is told which booked appointment falls inside it (and follows that link to the
day's calendar, shaded around the appointment), then removes the time off after confirming it.
An end before the start is refused beside the "Until" field, and nothing is saved."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.utils import timezone
from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.scheduling.models import Block

REASON = "Training course"
BROWSER_TZ = "America/New_York"  # not the location's: the form must not depend on it


def a_working_day(day: Day) -> dt.date:
    """Two days ahead or more in the location's time zone, never a Sunday (closed; and the
    clocks change on a Sunday, which the day calendar's rows do not follow yet)."""
    date = timezone.localdate(timezone=day.clinic.location.tz) + dt.timedelta(days=2)
    while date.weekday() == 6:
        date += dt.timedelta(days=1)
    return date


def book_at_ten(day: Day, date: dt.date) -> Any:
    """Marta Verdi, booked through the service at 10:00-10:30 local with the practitioner."""
    from mesocare.scheduling.services.appointments import book_appointment

    day.ensure_schedule()
    tz = day.clinic.location.tz
    return book_appointment(
        day.actor("reception"),
        patient=day.ensure_patient(),
        practitioner=day.clinic.members["practitioner"],
        room=day.clinic.room,
        start=dt.datetime.combine(date, dt.time(10), tzinfo=tz),
        duration_min=30,
    )


def open_time_off(e2e: Any, page: Any, date: dt.date) -> None:
    e2e.step("calendar", lambda: page.goto(f"/calendar?date={date:%Y-%m-%d}"))
    e2e.step("time off", lambda: page.get_by_role("link", name="Time off", exact=True).click())
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(r"^Time off · Main alpha"))


def fill_block(page: Any, date: dt.date, start: str, end: str, reason: str = REASON) -> None:
    page.get_by_label("Practitioner").select_option(label="practitioner alpha")
    page.get_by_label("From").fill(f"{date:%Y-%m-%d}T{start}")
    page.get_by_label("Until").fill(f"{date:%Y-%m-%d}T{end}")
    page.get_by_label("Reason").fill(reason)


def unavailable(page: Any) -> Any:
    return page.get_by_role("cell", name=f"Unavailable: {REASON}", exact=True)


def test_reception_enters_time_off_is_told_of_the_booking_inside_and_removes_it(
    e2e: Any, day: Day
) -> None:
    date = a_working_day(day)
    appointment = book_at_ten(day, date)
    tz = day.clinic.location.tz
    page = e2e.page(timezone_id=BROWSER_TZ)
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    open_time_off(e2e, page, date)
    upcoming = page.get_by_role("region", name="Upcoming time off")
    expect(upcoming).to_contain_text("No time off planned.")
    assert e2e.axe(page) == []

    # A morning of training, 09:00-13:00 at the location, over the 10:00 appointment.
    fill_block(page, date, "09:00", "13:00")
    e2e.step("save", lambda: page.get_by_role("button", name="Save").click())
    status = page.get_by_role("status").first
    expect(status).to_contain_text("Time off saved.")
    expect(status).to_contain_text(
        "1 booked appointment falls inside this time off and stays booked; move or cancel it:"
    )
    moved = status.get_by_role("link", name=re.compile(r"^Marta Verdi · .* 10:00$"))
    expect(moved).to_have_count(1)
    expect(moved).to_have_attribute("href", re.compile(f"appointment={appointment.pk}$"))

    block = Block.objects.get()
    assert block.practitioner_id == day.clinic.members["practitioner"].pk
    assert block.room_id is None and block.reason == REASON
    assert block.start == dt.datetime.combine(date, dt.time(9), tzinfo=tz)
    assert block.end == dt.datetime.combine(date, dt.time(13), tzinfo=tz)

    # Listed, in the location's time.
    row = upcoming.get_by_role("row").filter(has_text=REASON)
    expect(row).to_have_count(1)
    local = rf"^\w{{3}} {date.day} \w{{3}} {date.year}"  # "Sat 28 Nov 2026"
    expect(row.get_by_role("cell")).to_have_text(
        [
            re.compile(f"{local} 09:00$"),
            re.compile(f"{local} 13:00$"),
            "practitioner alpha",
            "—",
            REASON,
            "Remove",
        ]
    )
    assert e2e.axe(page) == []
    e2e.screenshot(page, "time-off")

    # The appointment's link opens that day's calendar: the morning is shaded around it.
    panel = page.get_by_role("complementary").get_by_role("heading", name="Marta Verdi")
    e2e.step("to the appointment", lambda: (moved.click(), expect(panel).to_be_visible()))
    expect(page).to_have_url(re.compile(rf"date={date:%Y-%m-%d}"))
    expect(page.get_by_role("link", name=re.compile(r"^10:00 Marta Verdi"))).to_have_count(1)
    expect(unavailable(page)).to_have_count(2)  # 09:00-10:00 and 10:30-13:00
    assert e2e.axe(page) == []
    e2e.screenshot(page, "calendar-time-off")

    # Removed after a confirmation: the time is bookable again.
    e2e.step(
        "time off again", lambda: page.get_by_role("link", name="Time off", exact=True).click()
    )
    remove = page.get_by_role(
        "link", name=re.compile(r"^Remove the time off of practitioner alpha from .* 09:00$")
    )
    e2e.step("remove", lambda: remove.click())
    dialog = page.get_by_role("alertdialog", name="Remove time off")
    expect(dialog).to_contain_text(
        re.compile(r"Remove the time off of practitioner alpha from .* 09:00 to .* 13:00\?")
    )
    assert e2e.axe(page) == []
    e2e.step("confirm", lambda: dialog.get_by_role("button", name="Remove").click())
    expect(page.get_by_role("status").first).to_have_text("Time off removed.")
    expect(page.get_by_role("region", name="Upcoming time off")).to_contain_text(
        "No time off planned."
    )
    assert not Block.objects.exists()
    e2e.step("calendar after", lambda: page.goto(f"/calendar?date={date:%Y-%m-%d}"))
    expect(page.get_by_role("link", name=re.compile(r"^10:00 Marta Verdi"))).to_have_count(1)
    expect(unavailable(page)).to_have_count(0)


def test_an_end_before_the_start_is_refused_beside_the_until_field(e2e: Any, day: Day) -> None:
    date = a_working_day(day)
    day.ensure_schedule()
    page = e2e.page(timezone_id=BROWSER_TZ)
    e2e.step("sign in", lambda: e2e.sign_in(page, "admin@alpha.test", PASSWORD))
    open_time_off(e2e, page, date)
    fill_block(page, date, "12:00", "11:00")
    e2e.step("save", lambda: page.get_by_role("button", name="Save").click())

    until = page.get_by_label("Until")
    until_field = page.locator(".field").filter(has=until)
    expect(until_field.get_by_role("alert")).to_have_text("The end must be after the start.")
    expect(until).to_have_attribute("aria-invalid", "true")
    expect(until).to_have_accessible_description("The end must be after the start.")
    from_field = page.locator(".field").filter(has=page.get_by_label("From"))
    expect(from_field.get_by_role("alert")).to_have_count(0)
    # What was typed is kept, to correct.
    expect(page.get_by_label("From")).to_have_value(f"{date:%Y-%m-%d}T12:00")
    expect(until).to_have_value(f"{date:%Y-%m-%d}T11:00")
    expect(page.get_by_label("Reason")).to_have_value(REASON)
    assert not Block.objects.exists()
    assert e2e.axe(page) == []
    e2e.screenshot(page, "time-off-error")
