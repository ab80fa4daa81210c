"""The pure e-invoice core: EN 16931 amounts, CII XML, FatturaPA XML and the Factur-X PDF.

Worked examples: a clinic in Milan (VAT 22 %) and a VAT-exempt medical consultation (natura N4,
DPR 633/1972 art. 10 n. 18). Property tests: totals are the sum of the lines, the VAT breakdown is
consistent, and every valid invoice gives XML that validates.
"""

from __future__ import annotations

import dataclasses
import datetime
import io
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree
from pypdf import PdfReader

from mesocare.core.einvoice import (
    MEDICAL_CARE_EXEMPTION,
    Address,
    Buyer,
    DocumentType,
    EInvoice,
    EInvoiceError,
    Line,
    PaymentMeans,
    PaymentMeansKind,
    PrecedingInvoice,
    Seller,
    VatCategory,
    build_cii_xml,
    build_fatturapa_xml,
    check_business_rules,
    facturx_pdf,
    facturx_xml_from_pdf,
    validate_cii_xml,
    validate_fatturapa_xml,
)
from mesocare.core.einvoice.model import xml_text

MILAN_CLINIC = Seller(
    legal_name="Clinica Mesocare Milano S.r.l.",
    address=Address(("Via Brera 12",), "20121", "Milano", "IT", "MI"),
    vat_id="IT12345670017",
    tax_code="12345670017",
    registration="MI-1234567",
    email="amministrazione@example.org",
    iban="IT60X0542811101000000123456",
)
PATIENT = Buyer(
    name="Giulia Rossi",
    given_name="Giulia",
    family_name="Rossi",
    address=Address(("Via Torino 5",), "20123", "Milano", "IT", "MI"),
    tax_code="RSSGLI80A41F205Z",
)
CII = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
FPA = {"p": "http://ivaservizi.agenziaentrate.gov.it/docs/xsd/fatture/v1.2"}


def invoice(*lines: Line, **overrides: object) -> EInvoice:
    values: dict[str, object] = {
        "number": "2026-A-000001",
        "issue_date": datetime.date(2026, 12, 7),
        "currency": "EUR",
        "seller": MILAN_CLINIC,
        "buyer": PATIENT,
        "lines": lines,
        "payment_means": PaymentMeans(PaymentMeansKind.CARD),
    }
    values.update(overrides)
    return EInvoice(**values)  # type: ignore[arg-type]


def taxed(description: str, price: str, quantity: str = "1") -> Line:
    return Line(description, Decimal(quantity), Decimal(price), VatCategory.STANDARD, Decimal("22"))


def exempt(description: str, price: str) -> Line:
    return Line(
        description,
        Decimal("1"),
        Decimal(price),
        VatCategory.EXEMPT,
        Decimal("0"),
        MEDICAL_CARE_EXEMPTION,
    )


def text(xml: bytes, path: str, ns: dict[str, str]) -> list[str]:
    return [str(v) for v in etree.fromstring(xml).xpath(path, namespaces=ns)]


def test_aesthetic_course_in_milan_is_taxed_at_22_percent() -> None:
    """A cellulite package of 4 sessions at EUR 98.36 net: 393.44 + 22 % VAT (86.56) = 480.00."""
    doc = invoice(taxed("Mesoterapia cellulite, pacchetto 4 sedute", "98.36", "4"))
    totals = doc.totals()
    assert totals.line_total == Decimal("393.44")
    assert totals.tax_total == Decimal("86.56")
    assert totals.grand_total == Decimal("480.00")
    xml = build_cii_xml(doc)
    validate_cii_xml(xml)
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert text(xml, f"{summation}/ram:GrandTotalAmount/text()", CII) == ["480.00"]
    assert text(
        xml,
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:RateApplicablePercent/text()",
        CII,
    ) == ["22"]
    fpa = build_fatturapa_xml(doc)
    validate_fatturapa_xml(fpa)
    assert text(fpa, "//ImportoTotaleDocumento/text()", FPA) == ["480.00"]
    assert text(fpa, "//DatiRiepilogo/Imposta/text()", FPA) == ["86.56"]
    assert text(fpa, "//ModalitaPagamento/text()", FPA) == ["MP08"]
    assert text(fpa, "//CessionarioCommittente//CodiceFiscale/text()", FPA) == ["RSSGLI80A41F205Z"]


def test_medical_consultation_is_exempt_with_natura_n4_and_stamp_duty() -> None:
    """A consultation (EUR 100, exempt art. 10 n. 18) beside a taxed session (EUR 120 + 22 %).

    The exempt amount exceeds EUR 77.47, so the invoice declares the EUR 2.00 stamp duty.
    """
    doc = invoice(taxed("Seduta di mesoterapia", "120.00"), exempt("Visita medica", "100.00"))
    totals = doc.totals()
    assert (totals.line_total, totals.tax_total, totals.grand_total) == (
        Decimal("220.00"),
        Decimal("26.40"),
        Decimal("246.40"),
    )
    breakdown = {e.category: e for e in doc.vat_breakdown()}
    assert breakdown[VatCategory.EXEMPT].tax_amount == Decimal("0.00")
    xml = build_cii_xml(doc)
    assert text(
        xml,
        "//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax/ram:ExemptionReasonCode/text()",
        CII,
    ) == ["VATEX-EU-132-1C"]
    fpa = build_fatturapa_xml(doc)
    assert text(fpa, "//DatiRiepilogo/Natura/text()", FPA) == ["N4"]
    assert text(fpa, "//DatiRiepilogo/RiferimentoNormativo/text()", FPA) == [
        "Art. 10, c. 1, n. 18, DPR 633/1972"
    ]
    assert text(fpa, "//DatiBollo/ImportoBollo/text()", FPA) == ["2.00"]


def test_small_exempt_invoice_has_no_stamp_duty() -> None:
    fpa = build_fatturapa_xml(invoice(exempt("Visita di controllo", "50.00")))
    assert text(fpa, "//DatiBollo", FPA) == []


def test_credit_note_names_the_invoice_it_corrects() -> None:
    doc = invoice(
        taxed("Rimborso sedute non usate", "49.18", "2"),
        number="2026-NC-000001",
        document_type=DocumentType.CREDIT_NOTE,
        preceding=PrecedingInvoice("2026-A-000001", datetime.date(2026, 12, 1)),
    )
    xml = build_cii_xml(doc)
    assert text(xml, "//rsm:ExchangedDocument/ram:TypeCode/text()", CII) == ["381"]
    assert text(xml, "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()", CII) == [
        "2026-A-000001"
    ]
    fpa = build_fatturapa_xml(doc)
    assert text(fpa, "//TipoDocumento/text()", FPA) == ["TD04"]
    assert text(fpa, "//DatiFattureCollegate/IdDocumento/text()", FPA) == ["2026-A-000001"]


def test_partial_payment_leaves_the_rest_due() -> None:
    doc = invoice(taxed("Seduta", "100.00"), paid=Decimal("50.00"))
    xml = build_cii_xml(doc)
    summation = "//ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    assert text(xml, f"{summation}/ram:TotalPrepaidAmount/text()", CII) == ["50.00"]
    assert text(xml, f"{summation}/ram:DuePayableAmount/text()", CII) == ["72.00"]


def test_bank_transfer_carries_the_iban() -> None:
    doc = invoice(
        taxed("Pacchetto", "300.00"),
        payment_means=PaymentMeans(PaymentMeansKind.BANK_TRANSFER, MILAN_CLINIC.iban),
        due_date=datetime.date(2026, 12, 31),
    )
    xml = build_cii_xml(doc)
    assert text(xml, "//ram:PayeePartyCreditorFinancialAccount/ram:IBANID/text()", CII) == [
        MILAN_CLINIC.iban
    ]
    fpa = build_fatturapa_xml(doc)
    assert text(fpa, "//DettaglioPagamento/IBAN/text()", FPA) == [MILAN_CLINIC.iban]


def test_foreign_patient_gets_the_foreign_recipient_codes() -> None:
    buyer = Buyer(name="Anna Meier", address=Address(("Bahnhofstrasse 1",), "8001", "Zürich", "CH"))
    fpa = build_fatturapa_xml(invoice(taxed("Seduta", "100.00"), buyer=buyer))
    assert text(fpa, "//CodiceDestinatario/text()", FPA) == ["XXXXXXX"]
    assert text(fpa, "//CessionarioCommittente/Sede/CAP/text()", FPA) == ["00000"]


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"lines": ()}, "lines"),
        ({"currency": "XYZ"}, "currency"),
        ({"lines": (taxed("Seduta", "-1.00"),)}, "lines[0].unit_price"),
        ({"lines": (taxed("Seduta", "1.00", "0"),)}, "lines[0].quantity"),
        (
            {"lines": (Line("Visita", Decimal(1), Decimal(10), VatCategory.EXEMPT, Decimal(0)),)},
            "lines[0].exemption",
        ),
        ({"paid": Decimal("1000")}, "paid"),
        ({"document_type": DocumentType.CREDIT_NOTE}, "preceding"),
        (
            {"payment_means": PaymentMeans(PaymentMeansKind.BANK_TRANSFER)},
            "payment_means",
        ),
    ],
)
def test_what_no_format_can_express_is_refused_with_its_field(
    overrides: dict[str, object], field: str
) -> None:
    values: dict[str, object] = {"lines": (taxed("Seduta", "100.00"),)}
    values.update(overrides)
    lines = values.pop("lines")
    with pytest.raises(EInvoiceError) as caught:
        build_cii_xml(invoice(*lines, **values))  # type: ignore[misc]
    assert caught.value.field == field


def test_fatturapa_needs_the_italian_patients_tax_code() -> None:
    buyer = Buyer(name="Mario Bianchi", address=PATIENT.address)
    with pytest.raises(EInvoiceError) as caught:
        build_fatturapa_xml(invoice(taxed("Seduta", "100.00"), buyer=buyer))
    assert caught.value.field == "buyer.tax_code"


def test_tampered_totals_fail_the_business_rules() -> None:
    xml = build_cii_xml(invoice(taxed("Seduta", "100.00")))
    tampered = xml.replace(b"<ram:GrandTotalAmount>122.00", b"<ram:GrandTotalAmount>121.00")
    with pytest.raises(EInvoiceError, match="BR-CO-15"):
        check_business_rules(tampered)


def test_pdf_a3_carries_the_cii_xml() -> None:
    doc = invoice(taxed("Seduta", "100.00"), exempt("Visita", "80.00"))
    xml = build_cii_xml(doc)
    pdf = facturx_pdf("<html><body><h1>Fattura 2026-A-000001</h1></body></html>", xml)
    assert pdf.startswith(b"%PDF-")
    xmp = PdfReader(io.BytesIO(pdf)).xmp_metadata
    assert xmp is not None
    metadata = xmp.rdf_root.toxml()
    assert "<pdfaid:part>3</pdfaid:part>" in metadata
    assert "<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>" in metadata
    filename, embedded = facturx_xml_from_pdf(pdf)
    assert filename == "factur-x.xml"
    assert embedded == xml
    validate_cii_xml(embedded)


def test_a_pdf_without_xml_is_reported() -> None:
    from mesocare.core.einvoice import render_pdf_a3

    with pytest.raises(EInvoiceError):
        facturx_xml_from_pdf(render_pdf_a3("<p>no invoice</p>"))


# Property tests ---------------------------------------------------------------------------

prices = st.decimals(min_value=Decimal("0"), max_value=Decimal("5000"), places=2)
quantities = st.integers(min_value=1, max_value=20).map(Decimal)
rates = st.sampled_from([Decimal("22"), Decimal("10"), Decimal("5"), Decimal("4")])


@st.composite
def lines(draw: st.DrawFn) -> Line:
    if draw(st.booleans()):
        return Line(
            draw(st.text(min_size=1, max_size=40).filter(lambda t: xml_text(t).strip())),
            draw(quantities),
            draw(prices),
            VatCategory.STANDARD,
            draw(rates),
        )
    return Line(
        "Visita medica",
        draw(quantities),
        draw(prices),
        VatCategory.EXEMPT,
        Decimal("0"),
        MEDICAL_CARE_EXEMPTION,
    )


def _with_paid_share(ls: list[Line], share: Decimal) -> EInvoice:
    doc = invoice(*ls)
    paid = (doc.totals().grand_total * share).quantize(Decimal("0.01"), "ROUND_DOWN")
    return dataclasses.replace(doc, paid=paid)


invoices = st.builds(
    _with_paid_share,
    st.lists(lines(), min_size=1, max_size=8),
    st.sampled_from([Decimal("0"), Decimal("0.5"), Decimal("1")]),
)


@settings(max_examples=60, deadline=None)
@given(invoices)
def test_totals_are_the_sum_of_lines_and_the_breakdown(doc: EInvoice) -> None:
    totals = doc.totals()
    assert totals.line_total == sum(doc.line_amounts(), Decimal("0"))
    breakdown = doc.vat_breakdown()
    assert sum((e.taxable_amount for e in breakdown), Decimal("0")) == totals.tax_basis
    assert sum((e.tax_amount for e in breakdown), Decimal("0")) == totals.tax_total
    assert totals.grand_total == totals.tax_basis + totals.tax_total
    assert totals.due == totals.grand_total - totals.paid
    keys = [(e.category, e.rate) for e in breakdown]
    assert len(keys) == len(set(keys))
    for entry in breakdown:
        expected = (entry.taxable_amount * entry.rate / 100).quantize(
            Decimal("0.01"), "ROUND_HALF_UP"
        )
        assert entry.tax_amount == (
            expected if entry.category is VatCategory.STANDARD else Decimal("0.00")
        )


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(invoices)
def test_every_valid_invoice_gives_valid_xml(doc: EInvoice) -> None:
    validate_cii_xml(build_cii_xml(doc))
    fpa = build_fatturapa_xml(doc)
    validate_fatturapa_xml(fpa)
    # FatturaPA strings are Basic Latin and Latin-1 Supplement only.
    "".join(etree.fromstring(fpa).itertext()).encode("latin-1")
