"""Issue 18, bug 8 in Chromium: reception cannot check in next week's appointment today
without saying why (the panel asks inline, the message next to the field); with a reason it
is checked in and the reason is audited. The practitioner opens the session by mistake and
discards it while it is empty: the appointment is booked again."""

from __future__ import annotations

import re
from typing import Any

from django.urls import resolve
from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.audit.models import AuditEvent
from mesocare.charting.models import TreatmentSession
from mesocare.scheduling.models import Appointment

REASON = "She came a week early to fill a cancelled slot."


def test_next_weeks_appointment_asks_why_and_an_empty_session_is_discarded(
    e2e: Any, day: Day
) -> None:
    appointment = day.ensure_course()[1]  # session 2: a week or more after session 1
    local = appointment.start.astimezone(day.clinic.location.tz)
    resolve("/")  # the URLconf imported before the first page (a loaded machine is slow)
    page = e2e.page()
    e2e.step("reception sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    e2e.step("calendar", lambda: page.goto(f"/calendar?date={local:%Y-%m-%d}"))
    cell = page.get_by_role("cell").filter(
        has=page.get_by_role("link", name=re.compile(f"{local:%H:%M} Marta Verdi"))
    )
    e2e.step("check in", lambda: cell.get_by_role("button", name="Check in").click())
    panel = page.get_by_role("complementary")
    field = panel.get_by_label("Why check in on another day")
    expect(field).to_be_visible()
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(panel.locator("#id_reason_error")).to_contain_text("not today")
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    assert e2e.axe(page) == []
    e2e.screenshot(page, "check-in-asks-why")

    field.fill(REASON)
    e2e.step("check in with a reason", lambda: panel.get_by_role("button", name="Check in").click())
    expect(page.get_by_role("status").first).to_have_text("Checked in.")
    assert Appointment.objects.get(pk=appointment.pk).status == "checked_in"
    reasons = [
        e.changes.get("check_in_reason")
        for e in AuditEvent.objects.filter(
            object_type="scheduling.appointment", object_id=str(appointment.pk), action="update"
        )
    ]
    assert [None, REASON] in reasons

    doctor = e2e.page()
    e2e.step("doctor", lambda: e2e.sign_in(doctor, "practitioner@alpha.test", PASSWORD))
    e2e.step("calendar", lambda: doctor.goto(f"/calendar?date={local:%Y-%m-%d}"))
    link = doctor.get_by_role("link", name=re.compile(f"{local:%H:%M} Marta Verdi"))
    e2e.step("panel", lambda: link.click())
    opened = doctor.get_by_role("complementary").get_by_role("button", name="Open the session")
    e2e.step("open the session by mistake", lambda: opened.click())
    discard = doctor.get_by_role("region", name="Opened by mistake?")
    expect(discard).to_be_visible()
    assert e2e.axe(doctor) == []
    discard.get_by_label("Why discard it").fill("Opened the wrong session.")
    e2e.step("discard", lambda: discard.get_by_role("button", name="Discard session").click())
    expect(doctor.get_by_role("status").first).to_have_text(
        "Session discarded; the appointment is booked again."
    )
    assert not TreatmentSession.objects.filter(appointment=appointment).exists()
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    assert AuditEvent.objects.filter(
        object_type="charting.treatmentsession", action="delete"
    ).exists()
