"""Checks every till service shares: amounts, currencies, VAT treatment, the patient row lock."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from mesocare.billing.choices import TaxCategory
from mesocare.core import money
from mesocare.errors import Invalid, NotFound
from mesocare.patients.models import Patient

MAX_AMOUNT = Decimal("9999999999.99")


def currency_code(value: Any, field: str = "currency") -> str:
    try:
        return money.check_currency(str(value or ""))
    except money.MoneyError as exc:
        raise Invalid.field(field, exc.message, code="invalid_currency") from None


def amount_in(
    value: Any, currency: str, field: str = "amount", *, allow_zero: bool = True
) -> Decimal:
    """A non-negative amount exact in the currency's minor units, or Invalid on `field`."""
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, TypeError, ValueError):
        raise Invalid.field(field, _("Enter an amount.")) from None
    if not amount.is_finite():
        raise Invalid.field(field, _("Enter an amount."))
    if amount < 0:
        raise Invalid.field(field, _("An amount cannot be negative."), code="negative_amount")
    if amount == 0 and not allow_zero:
        raise Invalid.field(field, _("An amount must be more than zero."), code="zero_amount")
    if amount > MAX_AMOUNT:
        raise Invalid.field(field, _("This amount is too large."))
    if not money.is_exact(amount, currency):
        raise Invalid.field(
            field,
            _("%(currency)s amounts have at most %(n)s decimals.")
            % {"currency": currency, "n": money.exponent(currency)},
            code="too_many_decimals",
        )
    return money.round_money(amount, currency)


def check_tax(category: str, rate: Any, exemption_reason: str) -> tuple[str, Decimal]:
    """The VAT treatment as EN 16931 requires it: a standard rate above zero (BR-S-05), no rate
    for zero-rated, exempt or out-of-scope lines (BR-Z-05, BR-E-05, BR-O-05), and a reason for
    an exemption (BR-E-10) or out-of-scope line (BR-O-10)."""
    if category not in TaxCategory.values:
        raise Invalid.field("tax_category", _("Choose a VAT category."))
    try:
        value = Decimal(str(rate if rate is not None else 0))
    except (InvalidOperation, TypeError, ValueError):
        raise Invalid.field("tax_rate", _("Enter a VAT rate in percent.")) from None
    if (
        not value.is_finite()
        or value < 0
        or value > 100
        or value != value.quantize(Decimal("0.01"))
    ):
        raise Invalid.field("tax_rate", _("A VAT rate lies between 0 and 100 (two decimals)."))
    if category == TaxCategory.STANDARD and value <= 0:
        raise Invalid.field("tax_rate", _("A standard-rated item needs a VAT rate above zero."))
    if category != TaxCategory.STANDARD and value != 0:
        raise Invalid.field("tax_rate", _("Only a standard-rated item has a VAT rate."))
    if category in (TaxCategory.EXEMPT, TaxCategory.OUTSIDE) and not exemption_reason.strip():
        raise Invalid.field(
            "exemption_reason",
            _(
                "State why the item is exempt from VAT (e.g. medical care, "
                "Art. 132(1)(c) of Directive 2006/112/EC)."
            ),
        )
    return category, value


def lock_patient(org_id: int, patient_id: int) -> Patient:
    """Serialize money movements of one patient (payments, refunds, credit notes)."""
    from mesocare.clinics.tenancy import get_for_org

    return get_for_org(Patient, org_id, patient_id, queryset=Patient.objects.select_for_update())


def missing(field: str, message: str) -> NotFound:
    """An id in the request body that names nothing of this organization: 404, like an id in
    the path (another organization's object is never hinted at), with the field named."""
    return NotFound("not_found", message, errors=[{"field": field, "message": message}])
