"""The till in Chromium: reception sells a course of 6 sessions from the patient's account and
takes the first instalment by card; the practitioner signs a session of that course (it uses one
package session); reception checks the visit out, adding a retail serum at 22 % VAT, takes the
payment in cash, prints the invoice (a Factur-X PDF with its XML) and sees both payments in the
day's takings."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from e2e_day import PASSWORD
from playwright.sync_api import expect

from mesocare.billing.models import Invoice
from mesocare.billing.services import packages, prices
from mesocare.catalog.models import Protocol
from mesocare.charting.services import sessions
from mesocare.clinics.legal import save_legal_details
from mesocare.core.einvoice import facturx_xml_from_pdf, validate_cii_xml

EXEMPT = "Esente IVA art. 10, n. 18, DPR 633/1972"
ALL_IMPACTS = ("minor", "moderate", "serious", "critical")


def set_up_till(clinic: Any) -> tuple[Protocol, Any]:
    admin = clinic.actor("admin")
    save_legal_details(
        admin,
        legal_name="Clinica Alpha S.r.l.",
        vat_number="IT12345670017",
        address_line1="Via Brera 12",
        postcode="20121",
        city="Milano",
        province="MI",
        country="IT",
    )
    protocol = Protocol.objects.filter(organization__isnull=True).order_by("id").first()
    assert protocol is not None
    exempt = {"tax_category": "E", "exemption_code": "VATEX-EU-132-1C", "exemption_reason": EXEMPT}
    prices.create_price_item(
        admin,
        code="session",
        name=f"Session: {protocol.name}",
        kind="session",
        amount="120.00",
        protocol_id=protocol.pk,
        **exempt,
    )
    serum = prices.create_price_item(
        admin,
        code="serum",
        name="Aftercare serum 30 ml",
        kind="product",
        amount="24.59",
        tax_category="S",
        tax_rate="22",
    )
    packages.create_offer(
        admin,
        name="Course of 6",
        protocol_id=protocol.pk,
        sessions=6,
        price="600.00",
        validity_days=365,
        max_instalments=3,
        **exempt,
    )
    return protocol, serum


def test_a_course_sold_as_a_package_from_sale_to_takings(e2e: Any, clinic: Any) -> None:
    protocol, serum = set_up_till(clinic)
    patient = clinic.patient
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))

    # the patient's account: sell the course, in 3 instalments
    e2e.step("account", lambda: page.goto(f"/patients/{patient.pk}/account"))
    expect(page.get_by_role("heading", name="Balance")).to_be_visible()
    assert e2e.axe(page, ALL_IMPACTS) == []
    page.get_by_role("combobox", name="Course").select_option(label="Course of 6")
    page.get_by_label("Instalments").fill("3")
    e2e.step("sell", lambda: page.get_by_role("button", name="Sell and invoice").click())
    expect(page.get_by_role("heading", name=re.compile(r"^Invoice A-"))).to_be_visible()
    expect(page.get_by_text("600.00 EUR").first).to_be_visible()

    # first instalment by card
    page.get_by_label("Amount").fill("200.00")
    page.get_by_label("Method").select_option(label="Card terminal")
    page.get_by_label("Reference").fill("POS 0042")
    e2e.step("pay instalment", lambda: page.get_by_role("button", name="Record payment").click())
    expect(page.get_by_text("Payment recorded.")).to_be_visible()
    expect(page.get_by_text("400.00 EUR")).to_be_visible()
    assert e2e.axe(page, ALL_IMPACTS) == []

    # the practitioner signs a session of the course: it uses one package session
    practitioner = clinic.actor("practitioner")
    session = sessions.sign_session(
        practitioner,
        sessions.open_walk_in(
            practitioner, patient=patient, location=clinic.location, protocol=protocol
        ),
    )

    # checkout: the package pays the session, the serum is added
    e2e.step("account again", lambda: page.goto(f"/patients/{patient.pk}/account"))
    expect(page.get_by_text("1 / 6")).to_be_visible()
    e2e.step("checkout", lambda: page.get_by_role("link", name="Check out").click())
    expect(page.get_by_text(re.compile("Course of 6: session 1 of 6"))).to_be_visible()
    assert e2e.axe(page, ALL_IMPACTS) == []
    page.get_by_label("Aftercare serum 30 ml").fill("1")
    e2e.step("issue", lambda: page.get_by_role("button", name="Issue the invoice").click())
    expect(page.get_by_role("heading", name=re.compile(r"^Invoice A-"))).to_be_visible()
    visit = Invoice.objects.get(source_session=session)
    assert str(visit.gross_total) == "30.00"
    expect(page.get_by_label("Amount")).to_have_value("30.00")
    page.get_by_label("Method").select_option(label="Cash")
    e2e.step("pay visit", lambda: page.get_by_role("button", name="Record payment").click())
    expect(page.get_by_text("Payment recorded.")).to_be_visible()
    e2e.screenshot(page, "till-invoice")

    # print: the PDF carries its EN 16931 XML
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Print (PDF)").click()
    pdf = Path(download_info.value.path()).read_bytes()
    _, xml = facturx_xml_from_pdf(pdf)
    validate_cii_xml(xml)

    # the day's takings: card 200.00 and cash 30.00
    today = clinic.today().isoformat()
    e2e.step("takings", lambda: page.goto(f"/till/takings?day={today}"))
    report = page.get_by_role("region", name=re.compile(clinic.location.name))
    expect(report.get_by_role("row", name=re.compile("Card terminal"))).to_contain_text("200.00")
    expect(report.get_by_role("row", name=re.compile("Cash"))).to_contain_text("30.00")
    expect(report).to_contain_text("230.00 EUR")
    assert e2e.axe(page, ALL_IMPACTS) == []
    e2e.screenshot(page, "till-takings")
