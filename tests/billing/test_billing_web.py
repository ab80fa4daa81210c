"""The till's staff pages: the patient's account tab, checkout of a visit, the invoice page
(payment, credit note, PDF/XML, email), the day's takings and the price list."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.billing.models import Invoice, PackageOffer, Payment, PriceItem
from mesocare.clinics.legal import save_legal_details

pytestmark = pytest.mark.django_db

MILAN = {
    "legal_name": "Clinica Mesocare Milano S.r.l.",
    "vat_number": "IT12345670017",
    "tax_code": "12345670017",
    "address_line1": "Via Brera 12",
    "postcode": "20121",
    "city": "Milano",
    "province": "MI",
    "country": "IT",
    "iban": "IT60X0542811101000000123456",
}


def _client(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def _html(response: Any) -> str:
    return str(response.content.decode())


def test_account_tab_shows_balance_invoices_and_packages(
    till: Any, django_assert_max_num_queries: Any
) -> None:
    package = till.sell()
    patient = till.clinic.patient
    client = _client(till.clinic, "reception")
    with django_assert_max_num_queries(40):
        response = client.get(f"/patients/{patient.pk}/account")
    assert response.status_code == 200
    html = _html(response)
    assert package.invoice.display_number in html
    assert "Course of 6" in html
    assert "0 / 6" in html
    assert "600.00" in html
    assert AuditEvent.objects.filter(
        patient_id=patient.pk, action=AuditAction.READ, summary="billing account"
    ).exists()


def test_selling_a_course_then_paying_it_in_full(till: Any) -> None:
    patient = till.clinic.patient
    client = _client(till.clinic, "reception")
    response = client.post(
        f"/patients/{patient.pk}/account/sell", {"offer": till.offer.pk, "instalments": 1}
    )
    assert response.status_code == 302
    invoice = Invoice.objects.get(patient=patient, kind="package")
    assert response["Location"] == f"/till/invoices/{invoice.pk}"
    page = _html(client.get(f"/till/invoices/{invoice.pk}"))
    assert "600.00" in page
    response = client.post(
        f"/till/invoices/{invoice.pk}/pay",
        {"amount": "600.00", "method": "card_terminal", "reference": "POS 0042"},
    )
    assert response.status_code == 302
    assert Payment.objects.get(invoice=invoice).reference == "POS 0042"
    page = _html(client.get(f"/till/invoices/{invoice.pk}"))
    assert 'class="badge ok">paid' in page


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"amount": "-5", "method": "cash"}, "greater than or equal to 0"),
        ({"amount": "abc", "method": "cash"}, "Enter a number"),
        ({"amount": "10", "method": "bitcoin"}, "Select a valid choice"),
        ({"amount": "0", "method": "cash"}, ""),
    ],
)
def test_bad_payment_re_renders_with_the_error_and_records_nothing(
    till: Any, data: dict[str, str], message: str
) -> None:
    package = till.sell()
    response = _client(till.clinic, "reception").post(
        f"/till/invoices/{package.invoice_id}/pay", data
    )
    assert response.status_code == 422
    html = _html(response)
    assert 'class="errorlist' in html
    assert message in html
    assert not Payment.objects.filter(invoice_id=package.invoice_id).exists()


def test_checkout_of_a_session_paid_by_the_package(till: Any) -> None:
    till.sell()
    session = till.signed_session()
    client = _client(till.clinic, "reception")
    page = client.get(f"/till/checkout/{session.pk}")
    assert page.status_code == 200
    assert "already paid" in _html(page)
    response = client.post(f"/till/checkout/{session.pk}", {f"item_{till.product.pk}": "1"})
    assert response.status_code == 302
    invoice = Invoice.objects.get(source_session=session)
    amounts = [line.net_amount for line in invoice.lines.order_by("position")]
    assert amounts[0] == Decimal("0.00")
    assert invoice.gross_total == Decimal("30.00")  # the serum: 24.59 + 22 % VAT
    # a second checkout of the same session goes to the invoice already issued
    again = client.get(f"/till/checkout/{session.pk}")
    assert again.status_code == 302
    assert again["Location"] == f"/till/invoices/{invoice.pk}"


def test_invoice_pdf_and_xml_need_the_legal_details_then_are_exported(till: Any) -> None:
    package = till.sell()
    client = _client(till.clinic, "reception")
    missing = client.get(f"/till/invoices/{package.invoice_id}/pdf")
    assert missing.status_code == 302
    save_legal_details(till.clinic.actor("admin"), **MILAN)
    pdf = client.get(f"/till/invoices/{package.invoice_id}/pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    xml = client.get(f"/till/invoices/{package.invoice_id}/xml")
    assert xml["Content-Type"] == "application/xml"
    assert b"CrossIndustryInvoice" in xml.content
    assert AuditEvent.objects.filter(action=AuditAction.EXPORT, summary__startswith="pdf").exists()
    # no codice fiscale on record: the FatturaPA cannot be made, and the page says why
    fattura = client.get(f"/till/invoices/{package.invoice_id}/xml?format=fatturapa")
    assert fattura.status_code == 302
    follow = client.get(fattura["Location"])
    assert "codice fiscale" in _html(follow)


def test_emailing_the_invoice_attaches_the_pdf(till: Any) -> None:
    save_legal_details(till.clinic.actor("admin"), **MILAN)
    package = till.sell()
    client = _client(till.clinic, "reception")
    bad = client.post(f"/till/invoices/{package.invoice_id}/email", {"email": "not-an-email"})
    assert bad.status_code == 422
    assert not mail.outbox
    sent = client.post(
        f"/till/invoices/{package.invoice_id}/email", {"email": "giulia@example.org"}
    )
    assert sent.status_code == 302
    (message,) = mail.outbox
    assert message.to == ["giulia@example.org"]
    name, content, kind = message.attachments[0]
    assert kind == "application/pdf"
    assert content[:5] == b"%PDF-"


def test_only_admins_issue_credit_notes(till: Any) -> None:
    package = till.sell()
    url = f"/till/invoices/{package.invoice_id}/credit"
    assert _client(till.clinic, "reception").post(url, {"reason": "x"}).status_code == 403
    empty = _client(till.clinic, "admin").post(url, {"reason": ""})
    assert empty.status_code == 422
    done = _client(till.clinic, "admin").post(url, {"reason": "Course cancelled"})
    assert done.status_code == 302
    page = _html(_client(till.clinic, "admin").get(f"/till/invoices/{package.invoice_id}"))
    assert "Course cancelled" in page


def test_auditor_reads_the_account_but_takes_no_payment(till: Any) -> None:
    package = till.sell()
    auditor = _client(till.clinic, "auditor")
    page = auditor.get(f"/patients/{till.clinic.patient.pk}/account")
    assert page.status_code == 200
    assert "Record payment" not in _html(page)
    assert (
        auditor.post(
            f"/till/invoices/{package.invoice_id}/pay", {"amount": "1", "method": "cash"}
        ).status_code
        == 403
    )


def test_another_organizations_invoice_is_not_found(till: Any, other_clinic: Any) -> None:
    package = till.sell()
    stranger = _client(other_clinic, "admin")
    assert stranger.get(f"/till/invoices/{package.invoice_id}").status_code == 404
    assert stranger.get(f"/till/invoices/{package.invoice_id}/pdf").status_code == 404


def test_takings_show_the_days_payments_and_export_csv(
    till: Any, django_assert_max_num_queries: Any
) -> None:
    package = till.sell()
    client = _client(till.clinic, "reception")
    client.post(f"/till/invoices/{package.invoice_id}/pay", {"amount": "250.00", "method": "cash"})
    today = till.clinic.today().isoformat()
    with django_assert_max_num_queries(20):
        page = client.get(f"/till/takings?day={today}")
    html = _html(page)
    assert "Cash" in html
    assert "250.00" in html
    export = client.get(f"/till/takings/export.csv?date_from={today}&date_to={today}")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    assert package.invoice.display_number in export.content.decode()
    backwards = client.get("/till/takings/export.csv?date_from=2026-12-31&date_to=2026-01-01")
    assert backwards.status_code == 302


def test_admin_adds_a_price_and_a_course_reception_only_reads(
    till: Any, django_assert_max_num_queries: Any
) -> None:
    admin = _client(till.clinic, "admin")
    with django_assert_max_num_queries(25):
        assert admin.get("/till/prices").status_code == 200
    response = admin.post(
        "/till/prices/new",
        {
            "code": "peel",
            "name": "Chemical peel",
            "kind": "addon",
            "amount": "45.00",
            "currency": "EUR",
            "tax_category": "S",
            "tax_rate": "22",
        },
    )
    assert response.status_code == 302
    assert PriceItem.objects.filter(organization=till.clinic.org, code="peel").exists()
    bad = admin.post(
        "/till/prices/new",
        {
            "code": "peel2",
            "name": "Peel",
            "kind": "addon",
            "amount": "10",
            "currency": "EUR",
            "tax_category": "E",
            "tax_rate": "0",
            "exemption_reason": "",
        },
    )
    assert bad.status_code == 422
    assert 'class="errorlist' in _html(bad)
    offer = admin.post(
        "/till/packages/new",
        {
            "name": "Course of 8",
            "protocol": till.protocol.pk,
            "sessions": "8",
            "price": "720.00",
            "currency": "EUR",
            "validity_days": "365",
            "max_instalments": "2",
            "tax_category": "E",
            "tax_rate": "0",
            "exemption_code": "VATEX-EU-132-1C",
            "exemption_reason": "Esente art. 10 DPR 633/1972",
        },
    )
    assert offer.status_code == 302
    assert PackageOffer.objects.filter(organization=till.clinic.org, name="Course of 8").exists()
    reception = _client(till.clinic, "reception")
    assert "Add item" not in _html(reception.get("/till/prices"))
    assert reception.post("/till/prices/new", {}).status_code == 403
