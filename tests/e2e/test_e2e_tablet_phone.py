"""Tablets and phones in Chromium: the charting flow on a 768×1024 tablet (portrait, the
treatment room) and the patient page on a 390×844 phone. On every page visited nothing scrolls
sideways (`document.documentElement.scrollWidth <= innerWidth`), the main menu folds behind a
"Menu" button, the controls a finger taps are at least 44 px high, and axe finds nothing of any
impact."""

from __future__ import annotations

import re
from typing import Any

from django.urls import resolve
from e2e_day import PASSWORD, Day
from playwright.sync_api import expect
from test_e2e_charting import LIDOCAINE_ML, ZONES, chart_zone, check_in

TABLET_PORTRAIT = (768, 1024)
PHONE = (390, 844)
# Visible controls that must be big enough to tap: buttons, form fields, the menu, the tabs.
TAPPABLE = (
    "button, .button, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), select, "
    "header.top nav a, .tabs a"
)
SMALL_TARGETS = """(selector) => Array.from(document.querySelectorAll(selector))
  .filter((el) => el.offsetParent !== null)
  .map((el) => [el.tagName + ' ' + (el.textContent || el.name || '').trim().slice(0, 30),
                Math.round(el.getBoundingClientRect().height)])
  .filter(([, height]) => height > 0 && height < 44)"""


def fits(e2e: Any, page: Any, label: str) -> None:
    """No sideways scrolling, targets of 44 px or more, and no axe violation of any impact."""
    wide = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert wide[0] <= wide[1], f"{label}: page is {wide[0]} px wide in a {wide[1]} px window"
    assert page.evaluate(SMALL_TARGETS, TAPPABLE) == [], label
    assert e2e.axe(page) == [], label


def test_charting_on_a_tablet_in_portrait(e2e: Any, day: Day) -> None:
    appointments = day.ensure_course()
    day.ensure_lots()
    first = appointments[0]
    check_in(e2e, day, first)

    resolve("/")  # the URLconf imported before the first page (a loaded machine is slow)
    page = e2e.page(TABLET_PORTRAIT, has_touch=True)
    e2e.step("sign in", lambda: e2e.sign_in(page, "practitioner@alpha.test", PASSWORD))
    local = first.start.astimezone(day.clinic.location.tz)
    e2e.step("calendar", lambda: page.goto(f"/calendar?date={local:%Y-%m-%d}"))
    fits(e2e, page, "calendar")
    link = page.get_by_role("link", name=re.compile(f"{local:%H:%M} Marta Verdi"))
    e2e.step("panel", lambda: link.click())
    open_session = page.get_by_role("complementary").get_by_role("button", name="Open the session")
    e2e.step("open session", lambda: open_session.click())
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verdi, Marta")
    fits(e2e, page, "session")
    e2e.screenshot(page, "tablet-charting")

    chart_zone(e2e, page, day, ZONES[0], LIDOCAINE_ML)
    expect(page.get_by_role("status").first).to_have_text("Injection #1 charted.")
    fits(e2e, page, "session after charting")

    page.get_by_label(re.compile("I confirm this record is complete")).check()
    e2e.step("sign", lambda: page.get_by_role("button", name="Sign session").click())
    expect(page.locator(".badge.ok", has_text="Signed")).to_be_visible()
    fits(e2e, page, "signed session")


def test_the_patient_page_on_a_phone(e2e: Any, day: Day) -> None:
    day.ensure_course()
    patient = day.ensure_patient()
    resolve("/")  # the URLconf imported before the first page (a loaded machine is slow)
    page = e2e.page(PHONE, has_touch=True, is_mobile=True)
    e2e.step("sign in", lambda: e2e.sign_in(page, "practitioner@alpha.test", PASSWORD))
    e2e.step("patient", lambda: page.goto(f"/patients/{patient.pk}"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Verdi")

    # The menu folds: hidden behind its button, opened and closed again by a tap.
    menu = page.get_by_role("button", name="Menu")
    nav = page.get_by_role("navigation", name="Main")
    expect(menu).to_have_attribute("aria-expanded", "false")
    expect(nav).to_be_hidden()
    fits(e2e, page, "patient page")
    e2e.screenshot(page, "phone-patient")
    menu.tap()
    expect(nav).to_be_visible()
    expect(menu).to_have_attribute("aria-expanded", "true")
    fits(e2e, page, "menu open")
    e2e.screenshot(page, "phone-menu")
    menu.tap()
    expect(nav).to_be_hidden()

    # Every tab of the patient page, then the pages of the menu.
    tabs = [
        a.get_attribute("href") for a in page.locator("nav.tabs a").all() if a.get_attribute("href")
    ]
    assert len(tabs) >= 5, tabs
    for href in tabs:
        e2e.step(f"tab {href}", lambda href=href: page.goto(href))
        fits(e2e, page, href)
    for href in ("/", "/patients", "/calendar", "/calendar?view=week", "/stock", "/messages"):
        e2e.step(f"page {href}", lambda href=href: page.goto(href))
        fits(e2e, page, href)
