"""Step 1 in Chromium: reception signs in, looks the new patient up by name, registers her and
records the intake: history, allergies, medications, weight, pregnancy status and a consent
signed on the pointer-drawn signature pad."""

from __future__ import annotations

import re
from typing import Any

from e2e_day import PASSWORD, Day
from playwright.sync_api import expect

from mesocare.patients.models import Allergy, Condition, Consent, Medication, Patient, Weight


def typed(page: Any, box: Any, text: str) -> None:
    """Type into the global search and wait for its (debounced) htmx answer."""
    with page.expect_response(lambda r: "/patients/search" in r.url):
        box.fill(text)


def navigate(page: Any, key: Any) -> None:
    """A key press that loads a page: wait for it, so the step measures its request."""
    with page.expect_navigation():
        key()


def draw_signature(page: Any) -> None:
    """Sign like a patient with a stylus: press, move in a few strokes, release."""
    canvas = page.get_by_role("img", name="Signature")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + 30, box["y"] + box["height"] * 0.6
    page.mouse.move(x, y)
    page.mouse.down()
    for dx, dy in ((40, -30), (80, 10), (120, -25), (170, 15), (220, -10)):
        page.mouse.move(x + dx, y + dy, steps=4)
    page.mouse.up()


def run(e2e: Any, day: Day) -> Patient:
    """Reception's part of the day; returns the registered patient."""
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))

    # The global search (htmx, debounced) finds nobody by that name yet.
    search = page.get_by_role("searchbox", name="Search patients")
    e2e.step("search", lambda: typed(page, search, "Verdi"))
    results = page.get_by_role("list", name="Matching patients")
    expect(results).to_contain_text("No patient matches.")
    e2e.step("patients list", lambda: navigate(page, lambda: search.press("Enter")))
    expect(page).to_have_title(re.compile("^Patients"))
    assert e2e.axe(page) == []
    e2e.step("register form", lambda: page.get_by_role("link", name="Register a patient").click())

    page.get_by_label("Given name").fill("Marta")
    page.get_by_label("Family name").fill("Verdi")
    page.get_by_label("Birth date").fill("1988-04-12")
    page.get_by_label("Sex at birth").select_option(label="Female")
    page.get_by_label("Email").fill("marta.verdi@example.org")
    page.get_by_label("Phone").fill("+39 333 765 4321")
    page.get_by_role("combobox", name="Pregnancy status", exact=True).select_option(
        label="Not pregnant"
    )
    page.get_by_role("combobox", name="Breastfeeding", exact=True).select_option(label="No")
    e2e.step("register", lambda: page.get_by_role("button", name="Save").click())
    expect(page.get_by_role("heading", level=1)).to_have_text("Verdi, Marta")
    patient = Patient.objects.get(organization=day.clinic.org, family_name="Verdi")
    assert patient.pregnancy_status == "not_pregnant" and patient.breastfeeding is False
    e2e.screenshot(page, "patient-page")
    assert e2e.axe(page) == []

    # History, medication and weight on the overview.
    page.get_by_label("Condition").select_option(label="Diabetes")
    page.get_by_label("Note").fill("type 2, diet-controlled")
    e2e.step("condition", lambda: page.get_by_role("button", name="Add condition").click())
    expect(page.get_by_role("status")).to_have_text("Condition recorded.")
    page.get_by_role("textbox", name="Medication", exact=True).fill("Metformin 500 mg")
    page.get_by_label("Class").select_option(label="Other")
    e2e.step("medication", lambda: page.get_by_role("button", name="Add medication").click())
    expect(page.get_by_role("status")).to_have_text("Medication recorded.")
    page.get_by_label("Weight (kg)").fill("64.5")
    page.get_by_label("Measured on").fill(day.today.isoformat())
    e2e.step("weight", lambda: page.get_by_role("button", name="Record weight").click())
    expect(page.get_by_role("status")).to_have_text("Weight recorded.")

    # Consent: submitting without a signature is refused beside the pad; then she signs.
    page.get_by_label("Kind").select_option(label="Treatment")
    page.get_by_label("Version").fill("2026.1")
    page.get_by_label("Signed on").fill(day.today.isoformat())
    page.get_by_label("Indication").fill("cellulite")
    page.get_by_label("Signed by").fill("Marta Verdi")
    e2e.step("consent unsigned", lambda: page.get_by_role("button", name="Save consent").click())
    expect(page.get_by_role("alert")).to_contain_text("Ask the patient to sign in the box.")
    draw_signature(page)
    expect(page.locator("input[name=consent-signature]")).to_have_value(
        re.compile("^data:image/png;base64,")
    )
    e2e.screenshot(page, "consent-signature")
    e2e.step("consent", lambda: page.get_by_role("button", name="Save consent").click())
    expect(page.get_by_role("status")).to_have_text("Consent recorded.")

    # Allergies on their tab; the header shows them on every page of the record.
    e2e.step(
        "allergies tab",
        lambda: (
            page.get_by_role("navigation", name="Patient record")
            .get_by_role("link", name="Allergies")
            .click()
        ),
    )
    page.get_by_label("Substance").fill("Penicillin")
    page.get_by_label("Reaction").fill("rash")
    page.get_by_label("Severity").select_option(label="Mild")
    e2e.step("allergy", lambda: page.get_by_role("button", name="Add allergy").click())
    flags = page.get_by_role("list", name="Allergies and safety flags")
    expect(flags).to_contain_text("Allergy: Penicillin (Mild)")

    # Everything landed on the chart, the signature as a PNG drawing.
    assert Condition.objects.filter(patient=patient, code="diabetes").exists()
    assert Medication.objects.filter(patient=patient, name="Metformin 500 mg").exists()
    assert str(Weight.objects.get(patient=patient).kg) == "64.5"
    assert Allergy.objects.filter(patient=patient, substance="Penicillin").exists()
    consent = Consent.objects.get(patient=patient)
    assert consent.kind == "treatment" and consent.signature.startswith("data:image/png;base64,")
    assert len(consent.signature) > 500  # strokes, not an empty canvas
    return patient


def test_reception_finds_registers_and_records_the_intake(e2e: Any, day: Day) -> None:
    patient = run(e2e, day)
    assert patient.organization_id == day.clinic.org.pk


def test_reception_finds_an_existing_patient_from_the_top_bar(e2e: Any, day: Day) -> None:
    page = e2e.page()
    e2e.sign_in(page, "reception@alpha.test", PASSWORD)
    search = page.get_by_role("searchbox", name="Search patients")
    e2e.step("search", lambda: typed(page, search, "ross"))
    result = page.get_by_role("list", name="Matching patients").get_by_role(
        "link", name=re.compile("Rossi, Giulia")
    )
    expect(result).to_be_visible()
    search.press("ArrowDown")
    expect(result).to_be_focused()
    e2e.step("open", lambda: navigate(page, lambda: page.keyboard.press("Enter")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Rossi, Giulia")
