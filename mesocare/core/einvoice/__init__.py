"""Legal e-invoices: the EN 16931 model of an invoice and its XML and PDF forms.

Pure: no Django. `EInvoice` holds one invoice or credit note (seller, buyer, lines, payment);
`build_cii_xml` writes the EN 16931 CII XML (Factur-X profile EN 16931), `build_fatturapa_xml`
the Italian FatturaPA XML, and `facturx_pdf` a PDF/A-3 carrying the CII XML.
"""

from __future__ import annotations

from .cii import build_cii_xml, check_business_rules, cii_data, validate_cii_xml
from .fatturapa import build_fatturapa, build_fatturapa_xml, validate_fatturapa_xml
from .model import (
    MEDICAL_CARE_EXEMPTION,
    Address,
    Buyer,
    DocumentType,
    EInvoice,
    EInvoiceError,
    Exemption,
    Line,
    PaymentMeans,
    PaymentMeansKind,
    PrecedingInvoice,
    Seller,
    Totals,
    VatBreakdownEntry,
    VatCategory,
    minor_unit,
    quantize,
)
from .pdf import embed_cii_xml, facturx_pdf, facturx_xml_from_pdf, render_pdf_a3

__all__ = [
    "MEDICAL_CARE_EXEMPTION",
    "Address",
    "Buyer",
    "DocumentType",
    "EInvoice",
    "EInvoiceError",
    "Exemption",
    "Line",
    "PaymentMeans",
    "PaymentMeansKind",
    "PrecedingInvoice",
    "Seller",
    "Totals",
    "VatBreakdownEntry",
    "VatCategory",
    "build_cii_xml",
    "build_fatturapa",
    "build_fatturapa_xml",
    "check_business_rules",
    "cii_data",
    "embed_cii_xml",
    "facturx_pdf",
    "facturx_xml_from_pdf",
    "minor_unit",
    "quantize",
    "render_pdf_a3",
    "validate_cii_xml",
    "validate_fatturapa_xml",
]
