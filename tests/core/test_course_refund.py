"""A cancelled course refunds its unused sessions by the clinic's policy (pro rata, or pro rata
less a cancellation fee): worked examples and the property refund + used + fee == paid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesocare.core import money

D = Decimal

cents = st.integers(min_value=0, max_value=10_000_000).map(lambda c: D(c).scaleb(-2))


def test_pro_rata_course_of_six_with_two_used() -> None:
    r = money.course_refund(D("600.00"), 6, 2, D(0), "EUR")
    assert (r.refund, r.used, r.fee, r.unused) == (D("400.00"), D("200.00"), D(0), D("400.00"))


def test_fee_comes_off_the_unused_part() -> None:
    r = money.course_refund(D("600.00"), 6, 2, D("30.00"), "EUR")
    assert (r.refund, r.used, r.fee) == (D("370.00"), D("200.00"), D("30.00"))


def test_rounding_goes_to_the_used_sessions_not_lost() -> None:
    # 100 × 2/3 = 66.666… → 66.67 refunded, the one used session keeps 33.33
    r = money.course_refund(D("100.00"), 3, 1, D(0), "EUR")
    assert (r.refund, r.used) == (D("66.67"), D("33.33"))


def test_fee_never_makes_the_refund_negative() -> None:
    r = money.course_refund(D("600.00"), 6, 5, D("150.00"), "EUR")
    assert (r.refund, r.used, r.fee) == (D(0), D("500.00"), D("100.00"))


def test_a_used_up_course_refunds_nothing_and_takes_no_fee() -> None:
    r = money.course_refund(D("600.00"), 6, 6, D("30.00"), "EUR")
    assert (r.refund, r.used, r.fee) == (D(0), D("600.00"), D(0))


def test_nothing_used_refunds_all_but_the_fee() -> None:
    r = money.course_refund(D("450.00"), 3, 0, D("25.00"), "EUR")
    assert (r.refund, r.used, r.fee) == (D("425.00"), D(0), D("25.00"))


def test_bad_input_is_refused() -> None:
    with pytest.raises(money.MoneyError):
        money.course_refund(D("-1.00"), 6, 0, D(0), "EUR")
    with pytest.raises(money.MoneyError):
        money.course_refund(D("100.00"), 6, 0, D("-5"), "EUR")
    with pytest.raises(money.MoneyError):
        money.course_refund(D("100.00"), 6, 7, D(0), "EUR")


@given(cents, cents, st.integers(min_value=1, max_value=100), st.data())
def test_refund_plus_used_plus_fee_is_what_was_paid(
    paid: Decimal, fee: Decimal, total: int, data: st.DataObject
) -> None:
    used = data.draw(st.integers(min_value=0, max_value=total))
    r = money.course_refund(paid, total, used, fee, "EUR")
    assert r.refund + r.used + r.fee == paid
    assert min(r.refund, r.used, r.fee) >= 0
    assert r.fee <= fee
    assert r.refund <= money.pro_rata(paid, total - used, total, "EUR")
    # one more session used never refunds more
    if used < total:
        later = money.course_refund(paid, total, used + 1, fee, "EUR")
        assert later.refund <= r.refund
