"""Schemas of the till's API. Amounts are decimal strings in the currency's minor units
(e.g. "120.00"); the services refuse more decimals than the currency has."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import ClassVar, Literal

from ninja import Schema
from pydantic import Field, model_validator

from mesocare.api.inputs import Patch

Amount = Field(max_digits=14, decimal_places=4, description="decimal, currency minor units")
Currency = Field("EUR", min_length=3, max_length=3, description="ISO 4217 code")
Kind = Literal["consultation", "session", "addon", "product"]
TaxCategory = Literal["S", "Z", "E", "O"]
Method = Literal["cash", "card_terminal", "bank_transfer", "voucher"]


class PriceVersionOut(Schema):
    amount: Decimal
    valid_from: dt.datetime


class DepositRuleOut(Schema):
    kind: str
    value: Decimal


class PriceIn(Schema):
    code: str = Field(min_length=1, max_length=40, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str = Field(min_length=1, max_length=200)
    kind: Kind
    amount: Decimal = Amount
    currency: str = Currency
    tax_category: TaxCategory = "E"
    tax_rate: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    exemption_code: str = Field("", max_length=30)
    exemption_reason: str = Field("", max_length=300)
    protocol_id: int | None = None
    valid_from: dt.datetime | None = None
    deposit_kind: Literal["amount", "percent"] | None = None
    deposit_value: Decimal | None = Field(None, max_digits=14, decimal_places=4)


class PricePatch(Patch):
    nullable: ClassVar[frozenset[str]] = frozenset({"valid_from", "deposit_kind", "deposit_value"})

    name: str | None = Field(None, min_length=1, max_length=200)
    active: bool | None = None
    tax_category: TaxCategory | None = None
    tax_rate: Decimal | None = Field(None, ge=0, le=100, max_digits=5, decimal_places=2)
    exemption_code: str | None = Field(None, max_length=30)
    exemption_reason: str | None = Field(None, max_length=300)
    amount: Decimal | None = Amount
    valid_from: dt.datetime | None = None
    deposit_kind: Literal["amount", "percent"] | None = Field(
        None, description="null removes the deposit rule"
    )
    deposit_value: Decimal | None = Field(None, max_digits=14, decimal_places=4)


class PriceOut(Schema):
    id: int
    code: str
    name: str
    kind: str
    protocol_id: int | None
    currency: str
    amount: Decimal | None = Field(description="the amount valid now (net of VAT)")
    tax_category: str
    tax_rate: Decimal
    exemption_code: str
    exemption_reason: str
    active: bool
    deposit: DepositRuleOut | None
    versions: list[PriceVersionOut]


class PriceQuery(Schema):
    active: bool | None = None


class OfferComponentIn(Schema):
    """A service a course includes besides its sessions (a consultation, an add-on)."""

    item_id: int
    quantity: int = Field(1, ge=1, le=100)


class OfferComponentOut(Schema):
    item_id: int
    name: str
    quantity: int


class PackageServiceOut(Schema):
    """One included service of a sold course: paid, used and left."""

    item_id: int
    name: str
    paid: int
    used: int
    left: int


class OfferIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    protocol_id: int
    sessions: int = Field(ge=1, le=100)
    price: Decimal = Amount
    currency: str = Currency
    validity_days: int = Field(365, ge=1, le=3650)
    max_instalments: int = Field(1, ge=1, le=24)
    tax_category: TaxCategory = "E"
    tax_rate: Decimal = Field(Decimal(0), ge=0, le=100, max_digits=5, decimal_places=2)
    exemption_code: str = Field("", max_length=30)
    exemption_reason: str = Field("", max_length=300)
    components: list[OfferComponentIn] = Field(
        default_factory=list, description="other services included, e.g. a consultation"
    )


class OfferPatch(Patch):
    name: str | None = Field(None, min_length=1, max_length=200)
    active: bool | None = None
    validity_days: int | None = Field(None, ge=1, le=3650)
    max_instalments: int | None = Field(None, ge=1, le=24)


class OfferOut(Schema):
    id: int
    name: str
    protocol_id: int
    protocol_name: str
    sessions: int
    price: Decimal
    currency: str
    validity_days: int
    max_instalments: int
    tax_category: str
    tax_rate: Decimal
    exemption_code: str
    exemption_reason: str
    active: bool
    components: list[OfferComponentOut] = Field(default_factory=list)


class SellIn(Schema):
    offer_id: int
    location_id: int
    instalments: int = Field(1, ge=1, le=24)
    series: str | None = Field(None, min_length=1, max_length=8)


class OfferRevision(Schema):
    """A new version of a course offer: what changes (the rest is copied from the old one)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    sessions: int | None = Field(None, ge=1, le=100)
    price: Decimal | None = Amount
    validity_days: int | None = Field(None, ge=1, le=3650)
    max_instalments: int | None = Field(None, ge=1, le=24)


class CancelPackageIn(Schema):
    """`refund_method` pays the refund back at once (a negative payment against the credit
    note, at `location_id` or the invoice's location); without it the credit stays on the
    patient's account."""

    reason: str = Field(min_length=1, max_length=500)
    refund_method: Method | None = None
    location_id: int | None = None
    reference: str = Field("", max_length=100)


class PatientPackageOut(Schema):
    id: int
    patient_id: int
    offer_id: int
    name: str
    protocol_id: int
    protocol_name: str
    sessions_total: int
    sessions_used: int
    sessions_left: int
    price: Decimal
    currency: str
    instalments: list[Decimal]
    sold_at: dt.datetime
    expires_on: dt.date
    status: str
    invoice_id: int | None
    credit_note_id: int | None
    cancelled_at: dt.datetime | None
    services: list[PackageServiceOut] = Field(
        default_factory=list, description="included services besides the sessions"
    )
    refund_payment_id: int | None = Field(
        None, description="the refund recorded with the cancellation, if any"
    )


class ItemIn(Schema):
    item_id: int
    quantity: Decimal = Field(Decimal(1), gt=0, le=9999, max_digits=7, decimal_places=3)


class InvoiceIn(Schema):
    """A visit invoice names the signed `session_id` (or the attended `appointment_id`), plus
    optional `items`; a retail sale names `patient_id`, `location_id` and `items`."""

    kind: Literal["visit", "retail"]
    session_id: int | None = None
    appointment_id: int | None = None
    patient_id: int | None = None
    location_id: int | None = None
    items: list[ItemIn] = Field(default_factory=list, max_length=50)
    series: str | None = Field(None, min_length=1, max_length=8)

    @model_validator(mode="after")
    def _complete(self) -> InvoiceIn:
        if self.kind == "visit" and self.session_id is None and self.appointment_id is None:
            raise ValueError("a visit invoice names session_id or appointment_id")
        if self.kind == "retail" and (
            self.patient_id is None or self.location_id is None or not self.items
        ):
            raise ValueError("a retail sale names patient_id, location_id and items")
        return self


class LineOut(Schema):
    id: int
    position: int
    description: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    tax_category: str
    tax_rate: Decimal
    exemption_code: str
    exemption_reason: str
    item_id: int | None
    package_id: int | None


class CreditNoteLineOut(Schema):
    position: int
    invoice_line_id: int | None
    description: str
    quantity: Decimal
    unit_price: Decimal
    net_amount: Decimal
    tax_category: str
    tax_rate: Decimal


class CreditNoteOut(Schema):
    id: int
    number: str
    invoice_id: int
    issued_at: dt.datetime
    issue_date: dt.date
    currency: str
    reason: str
    net_total: Decimal
    tax_total: Decimal
    gross_total: Decimal
    lines: list[CreditNoteLineOut]


class InvoiceOut(Schema):
    id: int
    number: str
    series: str
    year: int
    sequence: int
    kind: str
    status: str
    issued_at: dt.datetime
    issue_date: dt.date
    patient_id: int
    patient_name: str
    location_id: int
    currency: str
    net_total: Decimal
    tax_total: Decimal
    gross_total: Decimal
    prepaid: Decimal = Field(description="deposit applied (EN 16931 BT-113)")
    amount_due: Decimal = Field(description="at issue (BT-115)")
    credited: Decimal
    source_session_id: int | None
    source_appointment_id: int | None
    source_package_id: int | None
    lines: list[LineOut]
    credit_notes: list[int]


class InvoiceQuery(Schema):
    patient: int | None = None
    kind: Literal["visit", "package", "retail", "fee"] | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100000)


class CreditLineIn(Schema):
    line_id: int
    quantity: Decimal | None = Field(None, gt=0, le=9999, max_digits=7, decimal_places=3)


class CreditNoteIn(Schema):
    """Credit the given lines (a quantity of each; all that is left when omitted), or the
    whole invoice that is left when `lines` is empty."""

    reason: str = Field(min_length=1, max_length=500)
    lines: list[CreditLineIn] = Field(default_factory=list, max_length=50)


class PaymentIn(Schema):
    """`kind` payment: money received against an `invoice_id`, a `deposit_id` or the
    `patient_id`'s account. `kind` refund: money paid back against a `credit_note_id` or an
    unused paid `deposit_id` (stored as a negative payment)."""

    kind: Literal["payment", "refund"] = "payment"
    amount: Decimal = Field(gt=0, max_digits=14, decimal_places=4)
    currency: str | None = Field(None, min_length=3, max_length=3)
    method: Method
    reference: str = Field("", max_length=100)
    location_id: int
    patient_id: int | None = None
    invoice_id: int | None = None
    deposit_id: int | None = None
    credit_note_id: int | None = None
    received_at: dt.datetime | None = None


class PaymentOut(Schema):
    id: int
    patient_id: int
    location_id: int
    invoice_id: int | None
    credit_note_id: int | None
    deposit_id: int | None
    method: str
    reference: str
    amount: Decimal
    currency: str
    received_at: dt.datetime


class PaymentQuery(Schema):
    patient: int | None = None
    invoice: int | None = None
    location: int | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100000)


class AccountOut(Schema):
    patient_id: int
    currency: str
    invoiced: Decimal
    paid: Decimal
    credited: Decimal
    balance: Decimal = Field(description="Σ invoices − Σ payments − Σ credit notes")
    credit: Decimal
    open_invoices: dict[str, Decimal]


class DepositOut(Schema):
    id: int
    appointment_id: int
    patient_id: int
    item_id: int
    amount: Decimal
    currency: str
    status: str
    policy_version: int | None
    invoice_id: int | None
    created_at: dt.datetime


class DepositQuery(Schema):
    patient: int | None = None
    status: Literal["due", "paid", "applied", "forfeited", "refunded", "void"] | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0, le=100000)


class PolicyIn(Schema):
    late_cancel_hours: int = Field(ge=0, le=720)
    forfeit_on_no_show: bool = True
    forfeit_on_late_cancel: bool = True
    refund_policy: Literal["pro_rata", "fee"] = "pro_rata"
    fee_amount: Decimal = Field(Decimal(0), ge=0, max_digits=14, decimal_places=4)
    currency: str = Currency


class PolicyOut(Schema):
    version: int
    late_cancel_hours: int
    forfeit_on_no_show: bool
    forfeit_on_late_cancel: bool
    refund_policy: str
    fee_amount: Decimal
    valid_from: dt.datetime


class TakingsQuery(Schema):
    date: dt.date
    location: int | None = None


class MethodTakingsOut(Schema):
    method: str
    count: int
    received: Decimal
    refunded: Decimal
    net: Decimal


class LocationTakingsOut(Schema):
    location_id: int
    location: str
    timezone: str
    currency: str
    methods: list[MethodTakingsOut]
    total: Decimal
    invoices_issued: int
    invoiced_total: Decimal


class TakingsOut(Schema):
    date: dt.date
    locations: list[LocationTakingsOut]


class ExportQuery(Schema):
    date_from: dt.date
    date_to: dt.date


class XmlQuery(Schema):
    format: Literal["cii", "fatturapa"] = "cii"
