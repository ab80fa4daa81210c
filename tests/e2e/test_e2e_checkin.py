"""Step 6 in Chromium: after signing, the aftercare message and the 24 h check-in are on the
messages page; the patient answers the check-in on her phone reporting moderate bruising
(grade 2), and it shows on the practitioner's dashboard."""

from __future__ import annotations

import re
from typing import Any

from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.charting.models import SideEffect

PHONE = (390, 844)


def run(e2e: Any, day: Day) -> None:
    session = day.ensure_session()
    patient = session.patient

    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    e2e.step("messages", lambda: page.goto("/messages"))
    expect(page).to_have_title(re.compile("^Messages"))
    rows = page.get_by_role("row").filter(has_text="Verdi, Marta")
    expect(rows.filter(has_text="Aftercare")).to_have_count(1)
    expect(rows.filter(has_text="Check-in 24 h")).to_have_count(1)
    assert e2e.axe(page) == []
    e2e.screenshot(page, "messages")
    e2e.step(
        "aftercare preview",
        lambda: rows.filter(has_text="Aftercare").get_by_role("link", name="Preview").click(),
    )
    expect(page.get_by_text("For bruising, you can apply arnica cream.").first).to_be_visible()

    # The patient answers the 24 h check-in from the link in that message.
    path = day.portal_path("check_in_24h", session_id=session.pk)
    phone = e2e.page(PHONE, is_mobile=True, has_touch=True)
    e2e.step("check-in form", lambda: phone.goto(path))
    expect(phone.get_by_role("heading", name="How is the treated area?")).to_be_visible()
    phone.get_by_role("group", name=re.compile("^Pain now")).get_by_label("2", exact=True).check()
    phone.get_by_role("group", name="Bruising").get_by_label("Moderate").check()
    assert e2e.axe(phone) == []
    e2e.screenshot(phone, "portal-check-in-phone")
    e2e.step("send", lambda: phone.get_by_role("button", name="Send").click())
    expect(phone.get_by_role("heading", level=1)).not_to_have_text("How is the treated area?")
    bruise = SideEffect.objects.get(session=session, kind="bruising")
    assert bruise.grade == 2 and bruise.source == "patient"

    # The practitioner sees it on today's dashboard.
    doctor = e2e.page()
    e2e.step("doctor", lambda: e2e.sign_in(doctor, "practitioner@alpha.test", PASSWORD))
    card = doctor.get_by_role("region", name="Patient check-ins")
    expect(card).to_contain_text("Verdi, Marta")
    expect(card).to_contain_text("Bruising grade 2")
    assert e2e.axe(doctor) == []
    e2e.screenshot(doctor, "dashboard")
    e2e.step("to the chart", lambda: card.get_by_role("link", name="Verdi, Marta").click())
    expect(doctor).to_have_url(re.compile(f"/patients/{patient.pk}/sessions$"))


def test_aftercare_and_check_in_messages_then_a_grade_2_bruise_reaches_the_dashboard(
    e2e: Any, day: Day
) -> None:
    run(e2e, day)
