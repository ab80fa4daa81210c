"""Step 5 in Chromium: reception checks the patient in and sees the safety panel (no blocks);
the practitioner charts on the tablet (1024×768) body map: two zones, each a cocktail of two
lots, the running totals following; a dose above the lidocaine limit is refused with its mg
arithmetic; she signs; stock on hand drops by exactly what was charted."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.charting.models import TreatmentSession
from mesocare.inventory.models import ProductLot

TABLET = (1024, 768)
ZONES = ("Thigh, posterior, left", "Thigh, posterior, right")
CAFFEINE_ML, LIDOCAINE_ML = Decimal("2"), Decimal("1")  # per zone: 3 mL, 40 points


def check_in(e2e: Any, day: Day, appointment: Any) -> None:
    """Reception checks the patient in from the calendar; the panel shows the safety check."""
    page = e2e.page()
    e2e.step("reception sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    local = appointment.start.astimezone(day.clinic.location.tz)
    e2e.step("calendar", lambda: page.goto(f"/calendar?date={local:%Y-%m-%d}"))
    cell = page.get_by_role("cell").filter(
        has=page.get_by_role("link", name=re.compile(f"{local:%H:%M} Marta Verdi"))
    )
    e2e.step("check in", lambda: cell.get_by_role("button", name="Check in").click())
    reason = day.early_reason(appointment)
    if reason is not None:  # not today: the panel asks why, next to the field
        panel = page.get_by_role("complementary")
        field = panel.get_by_label("Why check in on another day")
        expect(field).to_be_visible()
        field.fill(reason)
        e2e.step("check in early", lambda: panel.get_by_role("button", name="Check in").click())
    expect(page.get_by_role("status").first).to_have_text("Checked in.")
    panel = page.get_by_role("complementary")
    expect(panel).to_contain_text("Checked in")
    safety = panel.get_by_role("region", name=re.compile("^Safety"))
    expect(safety).to_contain_text("No findings")
    expect(safety).to_contain_text("Check at Check-in")
    expect(safety.locator(".badge.block")).to_have_count(0)
    e2e.screenshot(page, "check-in-safety")


def chart_zone(
    e2e: Any, page: Any, day: Day, zone: str, lidocaine_ml: Decimal, reason: str = ""
) -> None:
    lots = day.ensure_lots()
    page.get_by_role("tab", name="Back").click()
    e2e.step(f"zone {zone}", lambda: page.get_by_role("link", name=zone, exact=True).click())
    expect(page.get_by_role("heading", name=f"Inject: {zone}")).to_be_visible()
    page.get_by_label("Technique").select_option(label="Nappage")
    page.get_by_label("Depth (mm)").fill("3")
    page.get_by_label("Points").fill("40")
    page.get_by_label("Volume per point (mL)").fill("")
    page.get_by_label("Total volume (mL)").fill(str(CAFFEINE_ML + lidocaine_ml))
    page.get_by_label("Product lot 1").select_option(value=str(lots["caffeine"].pk))
    page.get_by_label("Volume 1 (mL)").fill(str(CAFFEINE_ML))
    page.get_by_label("Product lot 2").select_option(value=str(lots["lidocaine"].pk))
    page.get_by_label("Volume 2 (mL)").fill(str(lidocaine_ml))
    page.get_by_label("Reason for values outside the protocol").fill(reason)
    e2e.step(f"chart {zone}", lambda: page.get_by_role("button", name="Chart injection").click())


def totals(page: Any) -> str:
    return " ".join(
        page.get_by_role("region", name="Running totals and dose limits").inner_text().split()
    )


def run(e2e: Any, day: Day) -> TreatmentSession:
    appointments = day.ensure_course()
    lots = day.ensure_lots()
    first = appointments[0]
    check_in(e2e, day, first)

    page = e2e.page(TABLET, has_touch=True)
    e2e.step("sign in", lambda: e2e.sign_in(page, "practitioner@alpha.test", PASSWORD))
    local = first.start.astimezone(day.clinic.location.tz)
    e2e.step("calendar", lambda: page.goto(f"/calendar?date={local:%Y-%m-%d}"))
    link = page.get_by_role("link", name=re.compile(f"{local:%H:%M} Marta Verdi"))
    e2e.step("panel", lambda: link.click())
    open_session = page.get_by_role("complementary").get_by_role("button", name="Open the session")
    e2e.step("open session", lambda: open_session.click())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verdi, Marta")
    expect(page.get_by_text("Not signed")).to_be_visible()
    assert "4.5 mg/kg × 64.5 kg" in totals(page)
    assert e2e.axe(page) == []

    chart_zone(e2e, page, day, ZONES[0], LIDOCAINE_ML)
    expect(page.get_by_role("status").first).to_have_text("Injection #1 charted.")
    expect(page.get_by_role("region", name="Running totals and dose limits")).to_contain_text(
        "10.00 / 290.25 mg"
    )
    chart_zone(e2e, page, day, ZONES[1], LIDOCAINE_ML)
    expect(page.get_by_role("status").first).to_have_text("Injection #2 charted.")
    running = totals(page)
    assert "20.00 / 290.25 mg" in running, running
    assert re.search(r"Total volume 6(\.0+)? mL", running), running
    assert re.search(r"Points 80\b", running) and re.search(r"Injections 2\b", running), running
    e2e.screenshot(page, "session-body-map")

    # 28 mL more of lidocaine 1% would make 300 mg: refused, with the arithmetic, even with a
    # reason for leaving the protocol's volumes (the dose limit is not a protocol range).
    chart_zone(e2e, page, day, ZONES[1], Decimal("28"), reason="larger area treated today")
    alert = page.get_by_role("alert").filter(has_text="Lidocaine maximum dose")
    expect(alert).to_contain_text("lidocaine 300 mg exceeds 290.25 mg (4.5 mg/kg × 64.5 kg)")
    expect(alert).to_contain_text("Lidocaine HCl US label")  # the rule's source
    e2e.screenshot(page, "lidocaine-limit-blocked")
    assert "20.00 / 290.25 mg" in totals(page), "nothing of the refused injection counts"

    # Sign, with the confirmation the form asks for.
    e2e.step("session page", lambda: page.get_by_role("link", name="Cancel").click())
    page.get_by_label(re.compile("I confirm this record is complete")).check()
    e2e.step("sign", lambda: page.get_by_role("button", name="Sign session").click())
    expect(page.locator(".badge.ok", has_text="Signed")).to_be_visible()
    session = TreatmentSession.objects.get(appointment=first)
    assert session.signed_at is not None and session.injections.count() == 2

    # Stock on hand dropped by exactly what was charted, on the stock page too.
    charted = {"caffeine": 2 * CAFFEINE_ML, "lidocaine": 2 * LIDOCAINE_ML}
    for key, lot in lots.items():
        fresh = ProductLot.objects.get(pk=lot.pk)
        assert fresh.on_hand_ml == lot.on_hand_ml - charted[key], key
    e2e.step("stock", lambda: page.goto("/stock"))
    rows = page.get_by_role("row")
    expect(rows.filter(has_text="CAF-1")).to_contain_text("46.000 mL")
    expect(rows.filter(has_text="LIDO-1")).to_contain_text("98.000 mL")
    assert e2e.axe(page) == []
    e2e.screenshot(page, "stock")
    return session


def test_check_in_chart_two_zones_refuse_the_lidocaine_overdose_sign_and_deduct_stock(
    e2e: Any, day: Day
) -> None:
    run(e2e, day)
