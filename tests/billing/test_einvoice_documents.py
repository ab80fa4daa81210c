"""Documents of stored invoices: the PDF/A-3 with its EN 16931 XML, and the FatturaPA XML.

The till's fixtures (tests/billing/conftest.py) sell a course of 6 sessions (exempt medical care)
and a retail serum at 22 % VAT; the organization's legal details are those of a Milan clinic.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from lxml import etree

from mesocare.billing.documents import (
    einvoice_of,
    fatturapa_filename,
    invoice_cii_xml,
    invoice_fatturapa_xml,
    invoice_pdf,
)
from mesocare.billing.models import Invoice
from mesocare.billing.services import invoicing
from mesocare.billing.services.invoicing import ItemRequest
from mesocare.clinics.legal import save_legal_details
from mesocare.core.einvoice import (
    facturx_xml_from_pdf,
    validate_cii_xml,
    validate_fatturapa_xml,
)
from mesocare.errors import Conflict, Invalid

pytestmark = pytest.mark.django_db

CII = {"ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
MILAN = {
    "legal_name": "Clinica Mesocare Milano S.r.l.",
    "vat_number": "IT12345670017",
    "tax_code": "12345670017",
    "address_line1": "Via Brera 12",
    "postcode": "20121",
    "city": "Milano",
    "province": "MI",
    "country": "IT",
    "tax_regime": "RF01",
    "rea_office": "MI",
    "rea_number": "1234567",
    "iban": "IT60X0542811101000000123456",
    "email": "amministrazione@example.org",
}
PATIENT_BUYER = {
    "tax_code": "RSSGLI80A41F205Z",
    "address": "Via Torino 5, 20123 Milano MI",
}


@pytest.fixture
def legal(till: Any) -> Any:
    return save_legal_details(till.clinic.actor("admin"), **MILAN)


def _with_patient_details(invoice: Invoice) -> Invoice:
    """The buyer as issued for a patient whose codice fiscale and address are on record."""
    Invoice.objects.filter(pk=invoice.pk).update(buyer={**invoice.buyer, **PATIENT_BUYER})
    return Invoice.objects.get(pk=invoice.pk)


def _retail(till: Any) -> Invoice:
    return invoicing.issue_retail_invoice(
        till.clinic.actor("reception"),
        patient_id=till.clinic.patient.pk,
        location_id=till.clinic.location.pk,
        items=[ItemRequest(till.product.pk, Decimal(2)), ItemRequest(till.consultation.pk)],
    )


def test_a_sold_course_gives_a_factur_x_pdf_carrying_valid_xml(till: Any, legal: Any) -> None:
    package = till.sell()
    invoice = package.invoice
    pdf = invoice_pdf(invoice)
    assert pdf.startswith(b"%PDF-")
    filename, xml = facturx_xml_from_pdf(pdf)
    assert filename == "factur-x.xml"
    validate_cii_xml(xml)
    root = etree.fromstring(xml)
    grand = root.xpath("//ram:GrandTotalAmount/text()", namespaces=CII)
    assert [Decimal(str(v)) for v in grand] == [invoice.gross_total]
    assert root.xpath("//ram:SellerTradeParty/ram:Name/text()", namespaces=CII) == [
        MILAN["legal_name"]
    ]


def test_stored_totals_and_the_einvoice_totals_agree(till: Any, legal: Any) -> None:
    invoice = _retail(till)
    totals = einvoice_of(invoice).totals()
    assert (totals.tax_basis, totals.tax_total, totals.grand_total) == (
        invoice.net_total,
        invoice.tax_total,
        invoice.gross_total,
    )
    # 2 x 24.59 at 22 % (60.00) + an exempt consultation of 80.00
    assert invoice.gross_total == Decimal("140.00")


def test_fatturapa_of_an_invoice_with_vat_and_an_exempt_consultation(till: Any, legal: Any) -> None:
    invoice = _with_patient_details(_retail(till))
    xml = invoice_fatturapa_xml(invoice)
    fattura = validate_fatturapa_xml(xml)
    body = fattura.fattura_elettronica_body[0]
    natures = sorted(
        (r.natura or "", str(r.aliquota_iva)) for r in body.dati_beni_servizi.dati_riepilogo
    )
    assert natures == [("", "22.00"), ("N4", "0.00")]
    assert body.dati_generali.dati_generali_documento.dati_bollo.importo_bollo == Decimal("2.00")
    cessionario = fattura.fattura_elettronica_header.cessionario_committente
    assert cessionario.dati_anagrafici.codice_fiscale == PATIENT_BUYER["tax_code"]
    assert (cessionario.sede.cap, cessionario.sede.comune, cessionario.sede.provincia) == (
        "20123",
        "Milano",
        "MI",
    )
    assert fatturapa_filename(invoice).startswith("IT12345670017_")


def test_credit_note_documents_name_the_invoice(till: Any, legal: Any) -> None:
    invoice = _with_patient_details(_retail(till))
    note = invoicing.issue_credit_note(
        till.clinic.actor("admin"), invoice.pk, reason="Serum returned unopened"
    )
    xml = invoice_cii_xml(note)
    validate_cii_xml(xml)
    assert etree.fromstring(xml).xpath(
        "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()", namespaces=CII
    ) == [invoice.display_number]
    fattura = validate_fatturapa_xml(invoice_fatturapa_xml(note))
    document = fattura.fattura_elettronica_body[0].dati_generali.dati_generali_documento
    assert document.tipo_documento == "TD04"
    _, embedded = facturx_xml_from_pdf(invoice_pdf(note))
    validate_cii_xml(embedded)


def test_without_legal_details_the_documents_are_a_conflict(till: Any) -> None:
    invoice = _retail(till)
    with pytest.raises(Conflict) as caught:
        invoice_cii_xml(invoice)
    assert caught.value.code == "legal_details_missing"


def test_fatturapa_for_a_patient_without_codice_fiscale_names_the_field(
    till: Any, legal: Any
) -> None:
    invoice = _retail(till)
    with pytest.raises(Invalid) as caught:
        invoice_fatturapa_xml(invoice)
    assert caught.value.errors[0]["field"] == "buyer.tax_code"


def test_documents_read_a_bounded_number_of_queries(
    till: Any, legal: Any, django_assert_max_num_queries: Any
) -> None:
    invoice = _with_patient_details(_retail(till))
    with django_assert_max_num_queries(6):
        invoice_cii_xml(invoice)
    with django_assert_max_num_queries(6):
        invoice_fatturapa_xml(invoice)


def test_demo_legal_details_are_valid_and_entered_once(clinic: Any) -> None:
    from mesocare.clinics.models import LegalDetails
    from mesocare.demo.legal import load_legal_details

    admin = clinic.actor("admin")
    load_legal_details(admin)
    details = LegalDetails.objects.get(organization=clinic.org)
    details.city = "Milano (MI)"
    details.save()
    load_legal_details(admin)
    assert LegalDetails.objects.get(organization=clinic.org).city == "Milano (MI)"


def test_a_patient_with_codice_fiscale_and_address_on_record_gets_a_fatturapa(
    till: Any, legal: Any
) -> None:
    from mesocare.patients.models import Patient

    Patient.objects.filter(pk=till.clinic.patient.pk).update(
        tax_code="RSSGLI80A41F205Z", address="Via Torino 5\n20123 Milano (MI)"
    )
    invoice = _retail(till)
    fattura = validate_fatturapa_xml(invoice_fatturapa_xml(invoice))
    cessionario = fattura.fattura_elettronica_header.cessionario_committente
    assert cessionario.dati_anagrafici.codice_fiscale == "RSSGLI80A41F205Z"
    assert (cessionario.sede.indirizzo, cessionario.sede.cap, cessionario.sede.provincia) == (
        "Via Torino 5",
        "20123",
        "MI",
    )
