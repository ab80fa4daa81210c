"""EN 16931 money arithmetic: worked examples and invariants (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesocare.core import money
from mesocare.core.money import Line

D = Decimal


def test_minor_units_come_from_iso_4217() -> None:
    assert money.exponent("EUR") == 2
    assert money.exponent("jpy") == 0
    assert money.check_currency("chf") == "CHF"
    with pytest.raises(money.MoneyError):
        money.check_currency("KWD")  # three decimals: not storable
    with pytest.raises(money.MoneyError):
        money.check_currency("XYZ")


def test_rounding_is_half_up() -> None:
    assert money.round_money(D("0.005"), "EUR") == D("0.01")
    assert money.round_money(D("0.015"), "EUR") == D("0.02")
    assert money.round_money(D("-0.005"), "EUR") == D("-0.01")
    assert money.round_money(D("2.5"), "JPY") == D("3")


def test_vat_is_rounded_once_per_rate_not_per_line() -> None:
    """BR-CO-17: VAT amount = taxable amount × rate, rounded per VAT group. Three lines of
    0.10 at 22 % give 0.30 × 22 % = 0.066 → 0.07, not 3 × round(0.022) = 0.06."""
    lines = [Line(D(1), D("0.10"), "S", D(22))] * 3
    totals = money.invoice_totals(lines, "EUR")
    assert totals.tax == D("0.07")
    assert totals.gross == D("0.37")


def test_mixed_exempt_and_standard_lines() -> None:
    lines = [
        Line(D(1), D("120.00"), "E", D(0)),
        Line(D(3), D("24.59"), "S", D(22)),
        Line(D("0.5"), D("10.01"), "S", D(22)),
    ]
    totals = money.invoice_totals(lines, "EUR", prepaid=D("30"))
    assert totals.line_nets == (D("120.00"), D("73.77"), D("5.01"))  # 5.005 → 5.01
    assert [(g.category, g.taxable, g.tax) for g in totals.vat] == [
        ("E", D("120.00"), D("0.00")),
        ("S", D("78.78"), D("17.33")),  # 17.3316
    ]
    assert totals.gross == D("216.11")
    assert totals.due == D("186.11")


def test_instalments_and_pro_rata() -> None:
    assert money.split_evenly(D("100.00"), 3, "EUR") == [D("33.34"), D("33.33"), D("33.33")]
    assert money.pro_rata(D("600.00"), 4, 6, "EUR") == D("400.00")
    assert money.pro_rata(D("100.00"), 1, 3, "EUR") == D("33.33")
    assert money.net_of(D("30.00"), D(22), "EUR") == D("24.59")


amounts = st.decimals(min_value=D(0), max_value=D("99999.99"), places=2)
quantities = st.decimals(min_value=D("0.001"), max_value=D(999), places=3)
rates = st.sampled_from([("E", D(0)), ("S", D(22)), ("S", D(10)), ("S", D(4)), ("Z", D(0))])
lines_st = st.lists(
    st.builds(lambda q, p, r: Line(q, p, r[0], r[1]), quantities, amounts, rates),
    min_size=1,
    max_size=12,
)


@given(lines_st)
def test_totals_add_up_exactly(lines: list[Line]) -> None:
    t = money.invoice_totals(lines, "EUR")
    assert t.net == sum(t.line_nets, D(0))  # BR-CO-10
    assert t.net == sum((g.taxable for g in t.vat), D(0))
    assert t.tax == sum((g.tax for g in t.vat), D(0))  # BR-CO-14
    assert t.gross == t.net + t.tax  # BR-CO-15
    for value in (*t.line_nets, t.net, t.tax, t.gross):
        assert value == value.quantize(D("0.01"))
    for g in t.vat:
        assert abs(g.tax - g.taxable * g.rate / 100) <= D("0.005")


@given(amounts, st.integers(min_value=1, max_value=24))
def test_instalments_sum_to_the_total_and_differ_by_one_cent_at_most(
    total: Decimal, parts: int
) -> None:
    split = money.split_evenly(total, parts, "EUR")
    assert sum(split, D(0)) == total
    assert max(split) - min(split) <= D("0.01")


@given(amounts, st.integers(min_value=1, max_value=50), st.data())
def test_pro_rata_parts_never_exceed_the_whole(
    total: Decimal, whole: int, data: st.DataObject
) -> None:
    part = data.draw(st.integers(min_value=0, max_value=whole))
    value = money.pro_rata(total, part, whole, "EUR")
    assert D(0) <= value <= total
    assert money.pro_rata(total, whole, whole, "EUR") == total
