"""Money for the till: `Decimal` amounts in a currency's minor units, and the invoice arithmetic
of EN 16931 (the European standard on electronic invoicing, semantic data model).

Pure functions, no Django. The rules followed:

- Every amount is a `Decimal` quantized to the currency's minor units (ISO 4217, read from
  py-moneyed): two decimals for EUR, GBP and CHF, none for JPY. The till stores amounts with
  two decimals, so it accepts currencies with at most two minor units (`SUPPORTED_EXPONENT`).
- Invoice line net amount (BT-131) = quantity × net unit price, rounded to the minor unit.
- VAT breakdown (BG-23): one group per VAT category code (BT-118) and rate (BT-119); its
  taxable amount (BT-116) is the sum of the line net amounts of that group and its VAT amount
  (BT-117) is taxable amount × rate / 100 rounded once, half up (rule BR-CO-17).
- Sum of line net amounts (BT-106) = Σ BT-131 (BR-CO-10); total VAT (BT-110) = Σ BT-117
  (BR-CO-14); total with VAT (BT-112) = BT-109 + BT-110 (BR-CO-15); amount due (BT-115) =
  BT-112 − paid amount (BT-113) (BR-CO-16).

Rounding is ROUND_HALF_UP: 0.005 → 0.01, as EN 16931 and the Italian FatturaPA rules expect.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation

from moneyed import CurrencyDoesNotExist, get_currency

SUPPORTED_EXPONENT = 2
ZERO = Decimal("0")
HUNDRED = Decimal("100")

# UNTDID 5305 VAT category codes used by EN 16931 (BT-118 / BT-151).
STANDARD = "S"
ZERO_RATED = "Z"
EXEMPT = "E"
OUTSIDE_SCOPE = "O"
CATEGORIES = (STANDARD, ZERO_RATED, EXEMPT, OUTSIDE_SCOPE)


class MoneyError(ValueError):
    """An amount or currency the till cannot use; `field` names the offending input."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def exponent(currency: str) -> int:
    """The number of decimals of the currency's minor unit (EUR → 2, JPY → 0)."""
    try:
        sub_unit = get_currency(code=str(currency).upper()).sub_unit
    except CurrencyDoesNotExist:
        raise MoneyError("currency", f"Unknown currency {currency!r}.") from None
    digits = 0
    while sub_unit > 1:
        sub_unit //= 10
        digits += 1
    return digits


def check_currency(currency: str) -> str:
    """The ISO 4217 code in upper case, or MoneyError when unknown or not storable."""
    code = str(currency).upper()
    if len(code) != 3 or not code.isalpha():
        raise MoneyError("currency", f"{currency!r} is not an ISO 4217 currency code.")
    if exponent(code) > SUPPORTED_EXPONENT:
        raise MoneyError(
            "currency", f"{code} has more than {SUPPORTED_EXPONENT} decimals; not supported."
        )
    return code


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-exponent(currency))


def round_money(amount: Decimal | int | str, currency: str) -> Decimal:
    """`amount` rounded half up to the currency's minor unit."""
    try:
        value = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError("amount", f"{amount!r} is not an amount.") from None
    if not value.is_finite():
        raise MoneyError("amount", "An amount must be a finite number.")
    return value.quantize(quantum(currency), rounding=ROUND_HALF_UP)


def is_exact(amount: Decimal, currency: str) -> bool:
    """True when `amount` needs no rounding in this currency (e.g. 12.345 EUR is not)."""
    return amount.is_finite() and round_money(amount, currency) == amount


@dataclass(frozen=True)
class Line:
    """One invoice line as priced: quantity × unit price, in a VAT category at a rate."""

    quantity: Decimal
    unit_price: Decimal
    category: str = EXEMPT
    rate: Decimal = ZERO


@dataclass(frozen=True)
class VatGroup:
    category: str
    rate: Decimal
    taxable: Decimal
    tax: Decimal


@dataclass(frozen=True)
class Totals:
    currency: str
    line_nets: tuple[Decimal, ...]
    vat: tuple[VatGroup, ...]
    net: Decimal
    tax: Decimal
    gross: Decimal
    prepaid: Decimal
    due: Decimal


def line_net(quantity: Decimal, unit_price: Decimal, currency: str) -> Decimal:
    """BT-131: quantity × net price, rounded half up to the minor unit."""
    return round_money(Decimal(quantity) * Decimal(unit_price), currency)


def vat_amount(taxable: Decimal, rate: Decimal, currency: str) -> Decimal:
    return round_money(Decimal(taxable) * Decimal(rate) / HUNDRED, currency)


def vat_breakdown(lines: Sequence[Line], currency: str) -> tuple[VatGroup, ...]:
    """BG-23: per (category, rate) the sum of line nets and its VAT, rounded once per group."""
    sums: dict[tuple[str, Decimal], Decimal] = {}
    for line in lines:
        key = (line.category, Decimal(line.rate).normalize())
        sums[key] = sums.get(key, ZERO) + line_net(line.quantity, line.unit_price, currency)
    return tuple(
        VatGroup(
            category, rate, round_money(taxable, currency), vat_amount(taxable, rate, currency)
        )
        for (category, rate), taxable in sorted(sums.items(), key=lambda kv: (kv[0][0], kv[0][1]))
    )


def invoice_totals(lines: Sequence[Line], currency: str, *, prepaid: Decimal = ZERO) -> Totals:
    """The document totals of EN 16931 for these lines (BT-106 … BT-115)."""
    code = check_currency(currency)
    nets = tuple(line_net(line.quantity, line.unit_price, code) for line in lines)
    groups = vat_breakdown(lines, code)
    net = round_money(sum(nets, ZERO), code)
    tax = round_money(sum((g.tax for g in groups), ZERO), code)
    gross = net + tax
    paid = round_money(prepaid, code)
    return Totals(code, nets, groups, net, tax, gross, paid, gross - paid)


def split_evenly(amount: Decimal, parts: int, currency: str) -> list[Decimal]:
    """`amount` in `parts` instalments that differ by at most one minor unit and add up
    exactly; the earlier instalments carry the extra units."""
    if parts < 1:
        raise MoneyError("instalments", "At least one instalment.")
    q = quantum(currency)
    total = round_money(amount, currency)
    base = (total / parts).quantize(q, rounding=ROUND_DOWN)
    rest = int((total - base * parts) / q)
    return [base + (q if i < rest else ZERO) for i in range(parts)]


def pro_rata(amount: Decimal, part: int, whole: int, currency: str) -> Decimal:
    """`amount` × part / whole, rounded half up (e.g. the unused sessions of a course)."""
    if whole <= 0 or part < 0 or part > whole:
        raise MoneyError("sessions", "The part must lie between 0 and the whole.")
    return round_money(Decimal(amount) * part / whole, currency)


@dataclass(frozen=True)
class CourseRefund:
    """How a cancelled course's price splits: `refund` + `used` + `fee` == the price paid."""

    refund: Decimal
    used: Decimal
    fee: Decimal
    unused: Decimal


def course_refund(
    paid: Decimal, sessions_total: int, sessions_used: int, fee: Decimal, currency: str
) -> CourseRefund:
    """The refund of a cancelled course: the unused sessions pro rata (`pro_rata`), less the
    clinic's cancellation fee (never more than the unused part: a refund is never negative).
    The used sessions keep the rest of the price, so nothing is lost to rounding:
    refund + used + fee == paid, to the cent."""
    price = round_money(paid, currency)
    if price < 0:
        raise MoneyError("amount", "A price is never negative.")
    charge = round_money(fee, currency)
    if charge < 0:
        raise MoneyError("fee_amount", "A fee is never negative.")
    unused = pro_rata(price, sessions_total - sessions_used, sessions_total, currency)
    kept = min(charge, unused)
    return CourseRefund(refund=unused - kept, used=price - unused, fee=kept, unused=unused)


def net_of(gross: Decimal, rate: Decimal, currency: str) -> Decimal:
    """The net amount whose gross at `rate` is closest to `gross` (for a fee quoted with VAT)."""
    return round_money(Decimal(gross) * HUNDRED / (HUNDRED + Decimal(rate)), currency)


def total(amounts: Iterable[Decimal]) -> Decimal:
    return sum(amounts, ZERO)
