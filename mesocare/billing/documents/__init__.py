"""The legal documents of a stored invoice or credit note: PDF/A-3 (Factur-X) and XML.

`invoice_pdf`, `invoice_cii_xml` and `invoice_fatturapa_xml` take an issued `Invoice` or
`CreditNote` and map it, with the organization's legal details, onto the pure e-invoice model
(`mesocare.core.einvoice`), which writes and validates the XML. Everything printed comes from
the stored rows, so the documents of an issued invoice never change (except the logo, which is
the letterhead's current one).

Errors: an organization without legal details is a `Conflict` ("legal_details_missing"); an
invoice the formats cannot express (e.g. a FatturaPA for an Italian patient without codice
fiscale) is an `Invalid` naming the field.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.utils.translation import gettext as _

from mesocare.billing.models import CreditNote, CreditNoteLine, Invoice, InvoiceLine
from mesocare.clinics.legal import legal_details
from mesocare.clinics.letterhead import logo_data_uri
from mesocare.clinics.models import LegalDetails, Organization
from mesocare.core import einvoice as ei
from mesocare.errors import Conflict, Invalid

Document = Invoice | CreditNote

# VATEX code -> FatturaPA Natura (table of the FatturaPA specifications, element 2.2.2.2).
_NATURA_BY_VATEX = (
    ("VATEX-EU-AE", "N6.9"),
    ("VATEX-EU-G", "N3.1"),
    ("VATEX-EU-IC", "N3.2"),
    ("VATEX-EU-O", "N2.2"),
    ("VATEX-EU-79-C", "N1"),
)
_CAP_CITY = re.compile(
    r"(?P<cap>\d{5})\s+(?P<city>[^,()\d]+?)(?:\s*\(?\b(?P<prov>[A-Z]{2})\b\)?)?\s*$"
)


def seller_of(organization: Organization, details: LegalDetails | None = None) -> ei.Seller:
    details = details or legal_details(organization.pk)
    if details is None:
        raise Conflict(
            "legal_details_missing",
            _("Enter the organization's legal details (Organization → Legal details) first."),
        )
    lines = tuple(x for x in (details.address_line1, details.address_line2) if x)
    registration = f"{details.rea_office}-{details.rea_number}" if details.rea_number else ""
    return ei.Seller(
        legal_name=details.legal_name,
        address=ei.Address(
            lines, details.postcode, details.city, details.country, details.province
        ),
        vat_id=details.vat_number,
        tax_code=details.tax_code,
        tax_regime=details.tax_regime,
        registration=registration,
        email=details.email,
        iban=details.iban,
    )


def _buyer_address(buyer: dict[str, Any], default_country: str) -> ei.Address:
    """The buyer's address as issued: structured keys when present, else read from the text."""
    text = str(buyer.get("address") or "").strip()
    parts = [p.strip() for p in re.split(r"[\n,]+", text) if p.strip()]
    postcode = str(buyer.get("postal_code") or "")
    city = str(buyer.get("city") or "")
    province = str(buyer.get("province") or "")
    if parts and not (postcode and city):
        # "…, 20123 Milano MI" possibly followed by the country's name
        for index in range(len(parts) - 1, 0, -1):
            match = _CAP_CITY.search(parts[index])
            if match:
                postcode = postcode or match["cap"]
                city = city or match["city"].strip()
                province = province or (match["prov"] or "")
                parts = parts[:index]
                break
    return ei.Address(
        lines=tuple(parts[:3]),
        postcode=postcode,
        city=city,
        country=str(buyer.get("country") or default_country).upper()[:2],
        province=province.upper()[:2],
    )


def _buyer(document: Document, seller: ei.Seller, details: LegalDetails | None) -> ei.Buyer:
    data = dict(document.buyer) if isinstance(document, Invoice) else dict(document.invoice.buyer)
    patient = document.patient
    return ei.Buyer(
        name=str(data.get("name") or f"{patient.given_name} {patient.family_name}").strip(),
        given_name=patient.given_name,
        family_name=patient.family_name,
        address=_buyer_address(data, seller.address.country),
        tax_code=str(data.get("tax_code") or ""),
        vat_id=str(data.get("vat_number") or ""),
        email=str(data.get("email") or ""),
        sdi_code=str(data.get("sdi_code") or (details.default_recipient_code if details else "")),
        pec=str(data.get("pec") or ""),
    )


def _exemption(line: InvoiceLine | CreditNoteLine) -> ei.Exemption | None:
    if line.tax_category == ei.VatCategory.STANDARD:
        return None
    code = line.exemption_code or ei.MEDICAL_CARE_EXEMPTION.vatex
    if code.upper() == ei.MEDICAL_CARE_EXEMPTION.vatex and not line.exemption_reason:
        return ei.MEDICAL_CARE_EXEMPTION
    natura = next((n for prefix, n in _NATURA_BY_VATEX if code.upper() == prefix), "N4")
    reason = line.exemption_reason or ei.MEDICAL_CARE_EXEMPTION.reason
    return ei.Exemption(reason=reason, vatex=code, natura=natura, legal_reference=reason[:100])


def _line(line: InvoiceLine | CreditNoteLine) -> ei.Line:
    try:
        category = ei.VatCategory(line.tax_category)
    except ValueError:
        raise Invalid.field(
            "tax_category",
            _("A line outside the scope of VAT cannot be sent as an electronic invoice."),
            code="einvoice_unsupported",
        ) from None
    return ei.Line(
        description=line.description,
        quantity=Decimal(line.quantity),
        unit_price=Decimal(line.unit_price),
        vat_category=category,
        vat_rate=Decimal(line.tax_rate),
        exemption=_exemption(line),
    )


def _loaded(document: Document) -> Document:
    """The document with what the mapping reads, in a fixed number of queries."""
    if isinstance(document, Invoice):
        return (
            Invoice.objects.select_related("organization", "patient", "location")
            .prefetch_related(Prefetch("lines", InvoiceLine.objects.order_by("position")))
            .get(pk=document.pk)
        )
    return (
        CreditNote.objects.select_related("organization", "patient", "location", "invoice")
        .prefetch_related(Prefetch("lines", CreditNoteLine.objects.order_by("position")))
        .get(pk=document.pk)
    )


def einvoice_of(document: Document) -> ei.EInvoice:
    """The EN 16931 model of a stored invoice or credit note."""
    document = _loaded(document)
    details = legal_details(document.organization_id)
    seller = seller_of(document.organization, details)
    common: dict[str, Any] = {
        "number": document.display_number,
        "issue_date": document.issue_date,
        "currency": document.currency,
        "seller": seller,
        "buyer": _buyer(document, seller, details),
        "lines": tuple(_line(line) for line in document.lines.all()),
        "payment_means": (
            ei.PaymentMeans(ei.PaymentMeansKind.BANK_TRANSFER, seller.iban) if seller.iban else None
        ),
    }
    if isinstance(document, Invoice):
        return ei.EInvoice(**common, paid=Decimal(document.prepaid), note=document.note)
    return ei.EInvoice(
        **common,
        document_type=ei.DocumentType.CREDIT_NOTE,
        preceding=ei.PrecedingInvoice(document.invoice.display_number, document.invoice.issue_date),
        note=document.reason,
    )


def _domain_error(exc: ei.EInvoiceError) -> Invalid:
    return Invalid.field(exc.field or "invoice", exc.message, code="einvoice_invalid")


def invoice_cii_xml(document: Document) -> bytes:
    """The EN 16931 CII XML (Factur-X profile EN 16931) of an invoice or credit note."""
    try:
        return ei.build_cii_xml(einvoice_of(document))
    except ei.EInvoiceError as exc:
        raise _domain_error(exc) from exc


def invoice_fatturapa_xml(document: Document) -> bytes:
    """The Italian FatturaPA XML (FPR12) of an invoice or credit note."""
    try:
        return ei.build_fatturapa_xml(einvoice_of(document))
    except ei.EInvoiceError as exc:
        raise _domain_error(exc) from exc


def fatturapa_filename(document: Document) -> str:
    """The SDI file name: the VAT number with its country, "_", the progressive."""
    details = legal_details(document.organization_id)
    vat = re.sub(r"[^A-Z0-9]", "", (details.vat_number if details else "").upper())
    progressive = re.sub(r"[^A-Za-z0-9]", "", document.display_number)[-10:]
    return f"{vat}_{progressive}.xml"


def invoice_html(document: Document, model: ei.EInvoice | None = None) -> str:
    """The printable invoice (the PDF's content) in the active language."""
    model = model or einvoice_of(document)
    totals = model.totals()
    exempt_total = sum(
        (e.taxable_amount for e in model.vat_breakdown() if e.category is ei.VatCategory.EXEMPT),
        Decimal(0),
    )
    context = {
        "is_credit_note": isinstance(document, CreditNote),
        "einvoice": model,
        "lines": list(zip(model.lines, model.line_amounts(), strict=True)),
        "breakdown": model.vat_breakdown(),
        "totals": totals,
        "stamp_duty": model.seller.address.country == "IT" and exempt_total > Decimal("77.47"),
        "logo_data_uri": logo_data_uri(document.organization),
    }
    return render_to_string("web/billing/invoice_pdf.html", context)


def invoice_pdf(document: Document) -> bytes:
    """The invoice as PDF/A-3b with its EN 16931 XML embedded (a Factur-X invoice)."""
    try:
        model = einvoice_of(document)
        xml = ei.build_cii_xml(model)
        return ei.facturx_pdf(invoice_html(document, model), xml)
    except ei.EInvoiceError as exc:
        raise _domain_error(exc) from exc
