"""Issue 18, bug 11 in Chromium, on a laptop (1366×768) and a tablet in portrait (768×1024):
tapping a zone scrolls to the injection form with its "Inject: <zone>" heading below the sticky
running totals, not under them (bounding boxes compared); each lot choice reads in full
(product, lot, expiry, mL left) in the width of its field; the total volume follows points ×
volume per point as they are typed, and the server stores the same total. axe finds nothing."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.charting.models import InjectionRecord

ZONE = "Thigh, posterior, left"

BOXES = """() => {
  const heading = document.getElementById('inject-h').getBoundingClientRect();
  const totals = document.querySelector('.totals').getBoundingClientRect();
  return {scrollY: window.scrollY, headingTop: heading.top, totalsBottom: totals.bottom,
          totalsTop: totals.top};
}"""
# The selected option's text against the room the closed select gives it (its width less the
# padding and the arrow), measured with the select's own font.
LOT_FITS = """(select) => {
  const style = getComputedStyle(select);
  const context = document.createElement('canvas').getContext('2d');
  context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
  const text = select.options[select.selectedIndex].text;
  const room = select.clientWidth - parseFloat(style.paddingLeft)
    - parseFloat(style.paddingRight) - 24;
  return {text, width: context.measureText(text).width, room};
}"""


@pytest.mark.parametrize("viewport", [(1366, 768), (768, 1024)], ids=["laptop", "tablet"])
def test_the_injection_form_clears_the_totals_and_computes_the_volume(
    e2e: Any, day: Day, viewport: tuple[int, int]
) -> None:
    from mesocare.charting.services import sessions

    lots = day.ensure_lots()
    session = sessions.open_walk_in(
        day.actor("practitioner"),
        patient=day.ensure_patient(),
        location=day.clinic.location,
        protocol=day.ensure_protocol(),
    )
    page = e2e.page(viewport, has_touch=viewport[0] < 1000)
    e2e.step("sign in", lambda: e2e.sign_in(page, "practitioner@alpha.test", PASSWORD))
    e2e.step("session", lambda: page.goto(f"/sessions/{session.pk}"))
    page.get_by_role("tab", name="Back").click()
    e2e.step("zone", lambda: page.get_by_role("link", name=ZONE, exact=True).click())
    heading = page.get_by_role("heading", name=f"Inject: {ZONE}")
    expect(heading).to_be_visible()
    page.wait_for_load_state("load")
    page.wait_for_timeout(300)  # the fragment's scroll after the load
    boxes = page.evaluate(BOXES)
    assert boxes["scrollY"] > 0, boxes  # the page went down to the form
    assert boxes["totalsTop"] <= 1, boxes  # the totals stuck at the top of the screen
    assert boxes["headingTop"] >= boxes["totalsBottom"], boxes  # and the heading below them

    lot = page.get_by_label("Product lot 1")
    lot.select_option(value=str(lots["caffeine"].pk))
    shown = lot.evaluate(LOT_FITS)
    assert "CAF-1" in shown["text"] and "expires" in shown["text"], shown
    assert shown["text"].endswith("50 mL left"), shown
    assert shown["width"] <= shown["room"], shown
    for other in ("Product lot 2", "Product lot 3"):
        page.get_by_label(other).select_option(value="")

    page.get_by_label("Technique").select_option(label="Nappage")
    page.get_by_label("Depth (mm)").fill("3")
    page.get_by_label("Points").fill("20")
    page.get_by_label("Volume per point (mL)").fill("0.05")
    total = page.get_by_label("Total volume (mL)")
    expect(total).to_have_value("1.000")
    page.get_by_label("Points").fill("40")
    expect(total).to_have_value("2.000")
    page.get_by_label("Volume 1 (mL)").fill("2")
    page.get_by_label("Reason for values outside the protocol").fill("test area")
    assert e2e.axe(page) == []
    e2e.step("chart", lambda: page.get_by_role("button", name="Chart injection").click())
    expect(page.get_by_role("status").first).to_have_text("Injection #1 charted.")
    injection = InjectionRecord.objects.get(session=session)
    assert injection.total_volume_ml == Decimal("2.000")
    assert injection.points == 40 and injection.volume_per_point_ml == Decimal("0.050")
