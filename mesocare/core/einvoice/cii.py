"""EN 16931 Cross Industry Invoice (Factur-X / ZUGFeRD profile EN 16931).

The XML is made by the `factur-x` library (`facturx.generate_xml`) from its dictionary keyed by
EN 16931 business terms (BT-n, BG-n), and checked against the Factur-X EN 16931 XML schema that
the library ships (`facturx.xml_check_xsd`). The schematron of the profile needs an XSLT 2.0
processor (a Saxon server); the business rules it checks for what this module writes
(BR-CO-10 .. BR-CO-17, BR-E-10, BR-S-08, BR-61 ...) are asserted by `check_business_rules`
instead, on the XML as written.
"""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from facturx import generate_xml, xml_check_xsd
from lxml import etree

from .model import (
    PAYMENT_MEANS_UNTDID,
    Buyer,
    DocumentType,
    EInvoice,
    EInvoiceError,
    PaymentMeansKind,
    Seller,
    VatCategory,
    xml_text,
)

LEVEL = "en16931"
TYPE_CODES = {DocumentType.INVOICE: "380", DocumentType.CREDIT_NOTE: "381"}
NAMESPACES = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}

# The library logs every field it drops or rewrites at WARNING; that is noise for a server log.
logging.getLogger("factur-x").setLevel(logging.ERROR)


def _money(value: Decimal) -> str:
    return format(value, "f")


def _rate(value: Decimal) -> str:
    return format(value.normalize(), "f") if value else "0"


def _address(party: Seller | Buyer) -> dict[str, str]:
    address = party.address
    result = {"country_code": address.country, "city": xml_text(address.city)}
    if address.postcode:
        result["postcode"] = address.postcode
    for index, line in enumerate(address.lines[:3], start=1):
        result[f"addr_l{index}"] = xml_text(line)
    if address.province:
        result["country_subdivision"] = address.province
    return result


def _seller(seller: Seller) -> dict[str, Any]:
    party: dict[str, Any] = {"name": xml_text(seller.legal_name), "vat_identifier": seller.vat_id}
    if seller.tax_code:
        party["tax_identifier"] = seller.tax_code
    if seller.registration:
        party["legal_identifier"] = seller.registration
    if seller.email:
        party["einvoicing_addr"] = seller.email
        party["einvoicing_addr_schemeid"] = "EM"
    party.update(_address(seller))
    return party


def _buyer(buyer: Buyer) -> dict[str, Any]:
    party: dict[str, Any] = {"name": xml_text(buyer.name)}
    if buyer.vat_id:
        party["vat_identifier"] = buyer.vat_id
    if buyer.email:
        party["einvoicing_addr"] = buyer.email
        party["einvoicing_addr_schemeid"] = "EM"
    party.update(_address(buyer))
    return party


def cii_data(invoice: EInvoice) -> dict[str, Any]:
    """The factur-x library's data dictionary for `invoice` (EN 16931 business terms)."""
    invoice.check()
    totals = invoice.totals()
    data: dict[str, Any] = {
        "BT-1": invoice.number,
        "BT-2": invoice.issue_date,
        "BT-3": TYPE_CODES[invoice.document_type],
        "BT-5": invoice.currency,
        "BT-24": "urn:cen.eu:en16931:2017",
        "BG-4": _seller(invoice.seller),
        "BG-7": _buyer(invoice.buyer),
        "BT-72": invoice.issue_date,
        "BG-25": [
            {
                "BT-126": str(index),
                "BT-129": format(line.quantity.normalize(), "f"),
                "BT-130": line.unit_code,
                "BT-131": _money(amount),
                "BT-146": format(line.unit_price, "f"),
                "BT-151": line.vat_category.value,
                "BT-152": _rate(line.vat_rate),
                "BT-153": xml_text(line.description)[:200],
            }
            for index, (line, amount) in enumerate(
                zip(invoice.lines, invoice.line_amounts(), strict=True), start=1
            )
        ],
        "BG-23": [
            {
                "BT-116": _money(entry.taxable_amount),
                "BT-117": _money(entry.tax_amount),
                "BT-118": entry.category.value,
                "BT-119": _rate(entry.rate),
                **(
                    {"BT-120": entry.exemption.reason, "BT-121": entry.exemption.vatex}
                    if entry.exemption and entry.category is VatCategory.EXEMPT
                    else {}
                ),
            }
            for entry in invoice.vat_breakdown()
        ],
        "BT-106": _money(totals.line_total),
        "BT-109": _money(totals.tax_basis),
        "BT-110": _money(totals.tax_total),
        "BT-112": _money(totals.grand_total),
        "BT-115": _money(totals.due),
    }
    if totals.paid:
        data["BT-113"] = _money(totals.paid)
    if invoice.due_date:
        data["BT-9"] = invoice.due_date
    if invoice.payment_terms or (totals.due > 0 and not invoice.due_date):
        # BR-CO-25: an amount due needs a due date or payment terms.
        data["BT-20"] = invoice.payment_terms or "Payment due on receipt."
    if invoice.note:
        data["BG-1"] = [{"BT-22": xml_text(invoice.note)}]
    if invoice.payment_means is not None:
        data["BT-81"] = PAYMENT_MEANS_UNTDID[invoice.payment_means.kind]
        if invoice.payment_means.kind is PaymentMeansKind.BANK_TRANSFER:
            data["BT-84"] = invoice.payment_means.iban
    if invoice.preceding is not None:
        data["BG-3"] = [{"BT-25": invoice.preceding.number, "BT-26": invoice.preceding.issue_date}]
    return data


def build_cii_xml(invoice: EInvoice) -> bytes:
    """The EN 16931 CII XML of `invoice`, checked against the schema and the business rules."""
    try:
        xml = generate_xml(
            cii_data(invoice),
            flavor="factur-x",
            level=LEVEL,
            check_xsd=True,
            check_schematron=False,
        )
    except EInvoiceError:
        raise
    except Exception as exc:  # the library raises bare Exception/ValueError with its message
        raise EInvoiceError(f"The EN 16931 XML could not be made: {exc}") from exc
    check_business_rules(xml)
    return bytes(xml)


def validate_cii_xml(xml: bytes) -> None:
    """Raise EInvoiceError unless `xml` is valid Factur-X EN 16931 XML (schema + rules)."""
    try:
        xml_check_xsd(xml, flavor="factur-x", level=LEVEL)
    except Exception as exc:
        raise EInvoiceError(str(exc)) from exc
    check_business_rules(xml)


def _amount(root: etree._Element, path: str) -> Decimal:
    values = root.xpath(path, namespaces=NAMESPACES)
    return sum((Decimal(str(v)) for v in values), Decimal("0"))


def check_business_rules(xml: bytes) -> None:
    """The EN 16931 calculation rules (BR-CO-10, 13..17) and exemption rules, on the XML."""
    root = etree.fromstring(xml)
    settlement = "//ram:ApplicableHeaderTradeSettlement"
    summation = f"{settlement}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"
    lines = _amount(
        root,
        "//ram:IncludedSupplyChainTradeLineItem/ram:SpecifiedLineTradeSettlement/"
        "ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount/text()",
    )
    line_total = _amount(root, f"{summation}/ram:LineTotalAmount/text()")
    basis = _amount(root, f"{summation}/ram:TaxBasisTotalAmount/text()")
    tax_total = _amount(root, f"{summation}/ram:TaxTotalAmount/text()")
    grand = _amount(root, f"{summation}/ram:GrandTotalAmount/text()")
    prepaid = _amount(root, f"{summation}/ram:TotalPrepaidAmount/text()")
    due = _amount(root, f"{summation}/ram:DuePayableAmount/text()")
    tax_breakdown = _amount(
        root, f"{settlement}/ram:ApplicableTradeTax/ram:CalculatedAmount/text()"
    )
    failures = []
    if lines != line_total:
        failures.append("BR-CO-10: the sum of line net amounts differs from the line total")
    if basis != line_total:
        failures.append("BR-CO-13: the total without VAT differs from the line total")
    if tax_total != tax_breakdown:
        failures.append("BR-CO-14: the VAT total differs from the sum of the VAT breakdown")
    if grand != basis + tax_total:
        failures.append("BR-CO-15: the total with VAT is not total without VAT plus VAT")
    if due != grand - prepaid:
        failures.append("BR-CO-16: the amount due is not the total less the paid amount")
    for tax in root.xpath(f"{settlement}/ram:ApplicableTradeTax", namespaces=NAMESPACES):
        category = tax.findtext("ram:CategoryCode", namespaces=NAMESPACES)
        basis_amount = Decimal(tax.findtext("ram:BasisAmount", namespaces=NAMESPACES) or "0")
        calculated = Decimal(tax.findtext("ram:CalculatedAmount", namespaces=NAMESPACES) or "0")
        rate = Decimal(tax.findtext("ram:RateApplicablePercent", namespaces=NAMESPACES) or "0")
        if category == VatCategory.EXEMPT and (
            calculated != 0
            or not (
                tax.findtext("ram:ExemptionReason", namespaces=NAMESPACES)
                or tax.findtext("ram:ExemptionReasonCode", namespaces=NAMESPACES)
            )
        ):
            failures.append("BR-E-09/BR-E-10: an exempt breakdown has VAT or no reason")
        if category == VatCategory.STANDARD:
            exponent = calculated.as_tuple().exponent
            half_unit = Decimal(1).scaleb(exponent if isinstance(exponent, int) else 0) / 2
            if abs(basis_amount * rate / 100 - calculated) > half_unit:
                failures.append("BR-CO-17: a VAT category amount is not its basis times its rate")
    if failures:
        raise EInvoiceError("; ".join(failures))
