from __future__ import annotations

from decimal import Decimal

import pytest

from mesocare.core.dosing import (
    fmt,
    lidocaine_max_mg,
    max_volume_ml,
    mg_from_ml,
    percent_to_mg_per_ml,
)

D = Decimal


def test_percent_converts_to_mg_per_ml() -> None:
    assert percent_to_mg_per_ml(D("1")) == D("10")
    assert percent_to_mg_per_ml(D("2")) == D("20")
    assert percent_to_mg_per_ml(D("0.5")) == D("5")


def test_mg_from_ml_multiplies_volume_by_concentration() -> None:
    assert mg_from_ml(D("13.5"), D("20")) == D("270.00")
    assert mg_from_ml(D("0"), D("20")) == D("0")


def test_mg_from_ml_rounds_up_so_an_overdose_is_never_hidden() -> None:
    assert mg_from_ml(D("0.001"), D("1")) == D("0.01")


def test_worked_example_60_kg_plain_2_percent_allows_13_5_ml() -> None:
    limit = lidocaine_max_mg(D("60"), with_epinephrine=False)
    assert limit.max_mg == D("270")
    assert not limit.capped
    assert max_volume_ml(limit.max_mg, percent_to_mg_per_ml(D("2"))) == D("13.5")


def test_plain_lidocaine_is_capped_at_300_mg() -> None:
    limit = lidocaine_max_mg(D("80"), with_epinephrine=False)
    assert (limit.max_mg, limit.weight_based_mg, limit.capped) == (D("300"), D("360"), True)


def test_plain_cap_starts_above_66_67_kg() -> None:
    assert lidocaine_max_mg(D("66.66"), False).max_mg == D("299.97")
    assert not lidocaine_max_mg(D("66.66"), False).capped
    assert lidocaine_max_mg(D("66.67"), False).max_mg == D("300")


def test_epinephrine_lidocaine_is_7_mg_per_kg_capped_at_500_mg() -> None:
    assert lidocaine_max_mg(D("60"), with_epinephrine=True).max_mg == D("420")
    limit = lidocaine_max_mg(D("80"), with_epinephrine=True)
    assert (limit.max_mg, limit.per_kg, limit.cap_mg, limit.capped) == (
        D("500"),
        D("7"),
        D("500"),
        True,
    )


def test_weight_based_limit_is_rounded_down() -> None:
    assert lidocaine_max_mg(D("49.9"), False).max_mg == D("224.55")
    assert lidocaine_max_mg(D("50.123"), False).max_mg == D("225.55")


def test_max_volume_rounds_down() -> None:
    assert max_volume_ml(D("100"), D("30")) == D("3.33")


@pytest.mark.parametrize(
    "call",
    [
        lambda: mg_from_ml(D("-1"), D("10")),
        lambda: mg_from_ml(D("1"), D("-10")),
        lambda: percent_to_mg_per_ml(D("-1")),
        lambda: lidocaine_max_mg(D("-60"), False),
        lambda: lidocaine_max_mg(D("0"), False),
        lambda: max_volume_ml(D("-1"), D("10")),
        lambda: max_volume_ml(D("100"), D("0")),
        lambda: mg_from_ml(D("NaN"), D("10")),
    ],
)
def test_negative_or_invalid_inputs_raise_value_error(call: object) -> None:
    with pytest.raises(ValueError):
        call()  # type: ignore[operator]


def test_fmt_prints_plain_decimals() -> None:
    assert fmt(D("300.00")) == "300"
    assert fmt(D("224.55")) == "224.55"
    assert fmt(D("49.90")) == "49.9"
    assert fmt(D("0.00")) == "0"
