"""The invoice as EN 16931 sees it: parties, lines, VAT breakdown and totals.

Pure data (frozen dataclasses) and the EN 16931 calculation rules, with no Django and no I/O.
Amounts are `Decimal` in the currency's minor units (ISO 4217 exponent).

Calculation (EN 16931-1:2017, section 6.4 and the business rules it names):
- line net amount (BT-131) = quantity (BT-129) x net unit price (BT-146), rounded half-up to the
  currency's minor unit;
- sum of line net amounts (BT-106) = sum of BT-131 (BR-CO-10); there are no document-level
  allowances or charges, so the total without VAT (BT-109) = BT-106 (BR-CO-13);
- VAT breakdown (BG-23): one entry per VAT category and rate; taxable amount (BT-116) = sum of the
  line net amounts of that category and rate; the category tax (BT-117) = BT-116 x rate / 100,
  rounded per category (BR-CO-17), 0 for exempt categories;
- total VAT (BT-110) = sum of BT-117 (BR-CO-14); total with VAT (BT-112) = BT-109 + BT-110
  (BR-CO-15); amount due (BT-115) = BT-112 - paid amount (BT-113) (BR-CO-16).

Credit notes (type code 381) carry positive amounts like an invoice, and name the invoice they
correct (BG-3).
"""

from __future__ import annotations

import datetime
import re
import unicodedata
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from iso4217 import Currency


class EInvoiceError(ValueError):
    """The invoice cannot be expressed, or its XML does not validate.

    `field` names the offending part (e.g. ``seller.vat_id``) when there is one.
    """

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class DocumentType(StrEnum):
    INVOICE = "invoice"
    CREDIT_NOTE = "credit_note"


class VatCategory(StrEnum):
    """UNTDID 5305 VAT category codes used by the clinic (BT-151, BT-118)."""

    STANDARD = "S"
    ZERO = "Z"
    EXEMPT = "E"


class PaymentMeansKind(StrEnum):
    CASH = "cash"
    CARD = "card"
    BANK_TRANSFER = "bank_transfer"


# UNTDID 4461 payment means codes (BT-81) and FatturaPA ModalitaPagamento codes.
PAYMENT_MEANS_UNTDID = {
    PaymentMeansKind.CASH: "10",
    PaymentMeansKind.CARD: "48",
    PaymentMeansKind.BANK_TRANSFER: "58",
}
PAYMENT_MEANS_FATTURAPA = {
    PaymentMeansKind.CASH: "MP01",
    PaymentMeansKind.CARD: "MP08",
    PaymentMeansKind.BANK_TRANSFER: "MP05",
}


@dataclass(frozen=True)
class Exemption:
    """Why a line carries no VAT: the text and codes each format asks for.

    `reason` is BT-120 (printed on the invoice), `vatex` the VATEX code (BT-121), `natura` the
    FatturaPA Natura code and `legal_reference` its RiferimentoNormativo.
    """

    reason: str
    vatex: str
    natura: str
    legal_reference: str


# Health care by medical and paramedical professions: Council Directive 2006/112/EC,
# art. 132(1)(c); in Italy DPR 26 October 1972 n. 633, art. 10, first paragraph, n. 18
# (FatturaPA natura N4, "esenti"). Only care with a therapeutic purpose qualifies (Court of
# Justice of the EU, C-91/12 PFC Clinic, 21 March 2013); purely aesthetic treatments are taxed.
MEDICAL_CARE_EXEMPTION = Exemption(
    reason="Esente IVA art. 10, comma 1, n. 18, DPR 633/1972 (prestazione sanitaria)",
    vatex="VATEX-EU-132-1C",
    natura="N4",
    legal_reference="Art. 10, c. 1, n. 18, DPR 633/1972",
)


@dataclass(frozen=True)
class Address:
    lines: tuple[str, ...]
    postcode: str
    city: str
    country: str  # ISO 3166-1 alpha-2
    province: str = ""  # Italian two-letter province (sigla), country subdivision elsewhere


@dataclass(frozen=True)
class Seller:
    legal_name: str
    address: Address
    vat_id: str  # with its country prefix, e.g. IT12345678901
    tax_code: str = ""  # Italian codice fiscale
    tax_regime: str = "RF01"  # FatturaPA RegimeFiscale
    registration: str = ""  # e.g. REA "MI-1234567"
    email: str = ""
    iban: str = ""


@dataclass(frozen=True)
class Buyer:
    name: str
    address: Address
    given_name: str = ""
    family_name: str = ""
    tax_code: str = ""  # codice fiscale of a private person
    vat_id: str = ""  # a business buyer's VAT number, with country prefix
    email: str = ""
    sdi_code: str = "0000000"  # FatturaPA CodiceDestinatario (7 zeros: no SDI channel)
    pec: str = ""


@dataclass(frozen=True)
class Line:
    description: str
    quantity: Decimal
    unit_price: Decimal  # net of VAT
    vat_category: VatCategory
    vat_rate: Decimal  # percent; 0 for exempt and zero-rated lines
    exemption: Exemption | None = None
    unit_code: str = "C62"  # UN/ECE rec. 20: "one" (a session, a product)


@dataclass(frozen=True)
class VatBreakdownEntry:
    category: VatCategory
    rate: Decimal
    taxable_amount: Decimal
    tax_amount: Decimal
    exemption: Exemption | None


@dataclass(frozen=True)
class PaymentMeans:
    kind: PaymentMeansKind
    iban: str = ""


@dataclass(frozen=True)
class PrecedingInvoice:
    number: str
    issue_date: datetime.date


@dataclass(frozen=True)
class Totals:
    line_total: Decimal  # BT-106
    tax_basis: Decimal  # BT-109
    tax_total: Decimal  # BT-110
    grand_total: Decimal  # BT-112
    paid: Decimal  # BT-113
    due: Decimal  # BT-115


@dataclass(frozen=True)
class EInvoice:
    number: str
    issue_date: datetime.date
    currency: str
    seller: Seller
    buyer: Buyer
    lines: tuple[Line, ...]
    document_type: DocumentType = DocumentType.INVOICE
    due_date: datetime.date | None = None
    paid: Decimal = Decimal("0")
    payment_means: PaymentMeans | None = None
    preceding: PrecedingInvoice | None = None
    note: str = ""
    payment_terms: str = ""

    @property
    def minor_unit(self) -> Decimal:
        return minor_unit(self.currency)

    def line_amount(self, line: Line) -> Decimal:
        return quantize(line.quantity * line.unit_price, self.currency)

    def line_amounts(self) -> tuple[Decimal, ...]:
        return tuple(self.line_amount(line) for line in self.lines)

    def vat_breakdown(self) -> tuple[VatBreakdownEntry, ...]:
        groups: dict[tuple[VatCategory, Decimal], list[tuple[Line, Decimal]]] = {}
        for line, amount in zip(self.lines, self.line_amounts(), strict=True):
            key = (line.vat_category, normalize_rate(line.vat_rate))
            groups.setdefault(key, []).append((line, amount))
        entries = []
        for (category, rate), members in sorted(groups.items(), key=_breakdown_order):
            taxable = sum((amount for _, amount in members), Decimal("0"))
            tax = (
                Decimal("0")
                if category is not VatCategory.STANDARD
                else quantize(taxable * rate / 100, self.currency)
            )
            exemption = next((line.exemption for line, _ in members if line.exemption), None)
            entries.append(
                VatBreakdownEntry(
                    category=category,
                    rate=rate,
                    taxable_amount=quantize(taxable, self.currency),
                    tax_amount=quantize(tax, self.currency),
                    exemption=exemption,
                )
            )
        return tuple(entries)

    def totals(self) -> Totals:
        line_total = quantize(sum(self.line_amounts(), Decimal("0")), self.currency)
        tax_total = quantize(
            sum((e.tax_amount for e in self.vat_breakdown()), Decimal("0")), self.currency
        )
        grand = line_total + tax_total
        paid = quantize(self.paid, self.currency)
        return Totals(
            line_total=line_total,
            tax_basis=line_total,
            tax_total=tax_total,
            grand_total=grand,
            paid=paid,
            due=grand - paid,
        )

    def check(self) -> None:
        """Raise EInvoiceError for what no format can express (before building any XML)."""
        try:
            Currency(self.currency)
        except ValueError as exc:
            raise EInvoiceError(f"Unknown currency {self.currency!r}.", "currency") from exc
        if not self.number.strip():
            raise EInvoiceError("The invoice has no number.", "number")
        if not self.lines:
            raise EInvoiceError("The invoice has no lines.", "lines")
        if not self.seller.vat_id.strip():
            raise EInvoiceError("The seller has no VAT number.", "seller.vat_id")
        if self.document_type is DocumentType.CREDIT_NOTE and self.preceding is None:
            raise EInvoiceError("A credit note names the invoice it corrects.", "preceding")
        for index, line in enumerate(self.lines):
            where = f"lines[{index}]"
            if not xml_text(line.description).strip():
                raise EInvoiceError("A line has a description.", f"{where}.description")
            if line.quantity <= 0:
                raise EInvoiceError("A line's quantity is positive.", f"{where}.quantity")
            if line.unit_price < 0:
                raise EInvoiceError("A line's price is not negative.", f"{where}.unit_price")
            if line.vat_category is VatCategory.STANDARD and line.vat_rate <= 0:
                raise EInvoiceError("A taxed line has a positive VAT rate.", f"{where}.vat_rate")
            if line.vat_category is not VatCategory.STANDARD and line.vat_rate != 0:
                raise EInvoiceError(
                    "An exempt or zero-rated line has a VAT rate of 0.", f"{where}.vat_rate"
                )
            if line.vat_category is VatCategory.EXEMPT and line.exemption is None:
                raise EInvoiceError(
                    "An exempt line names the reason for the exemption.", f"{where}.exemption"
                )
        totals = self.totals()
        if totals.paid < 0 or totals.paid > totals.grand_total:
            raise EInvoiceError("The paid amount is between 0 and the invoice total.", "paid")
        if (
            self.payment_means is not None
            and self.payment_means.kind is PaymentMeansKind.BANK_TRANSFER
            and not self.payment_means.iban
        ):
            raise EInvoiceError("A bank transfer names the account (IBAN).", "payment_means")


def _breakdown_order(item: tuple[tuple[VatCategory, Decimal], object]) -> tuple[str, Decimal]:
    (category, rate), _ = item
    return (category.value, rate)


_XML_INCOMPATIBLE = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value: str) -> str:
    """`value` without the characters XML 1.0 cannot carry (control characters, surrogates)."""
    return _XML_INCOMPATIBLE.sub("", value)


def latin1_text(value: str) -> str:
    """`value` in the Basic Latin and Latin-1 characters FatturaPA strings allow.

    Accents outside Latin-1 lose their mark (NFKD), anything else becomes "?".
    """
    result = []
    for char in xml_text(value):
        if ord(char) < 256:
            result.append(char)
            continue
        decomposed = "".join(
            c
            for c in unicodedata.normalize("NFKD", char)
            if ord(c) < 256 and not unicodedata.combining(c)
        )
        result.append(decomposed or "?")
    return "".join(result)


def minor_unit(currency: str) -> Decimal:
    exponent = Currency(currency).exponent or 0
    return Decimal(1).scaleb(-exponent)


def quantize(amount: Decimal, currency: str) -> Decimal:
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)


def normalize_rate(rate: Decimal) -> Decimal:
    return rate.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
