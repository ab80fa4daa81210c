"""Item validation: every bad item is reported at once, by name."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

import pytest

from mesocare.core.scales import (
    ItemError,
    ScaleValidationError,
    UnknownScaleError,
    get_scale,
    score_items,
)

GOOD_GAGS = dict.fromkeys(
    ["forehead", "right_cheek", "left_cheek", "nose", "chin", "chest_upper_back"], 1
)


def _errors(scale_id: str, items: Mapping[str, object]) -> dict[str, str]:
    with pytest.raises(ScaleValidationError) as caught:
        score_items(scale_id, items)
    assert caught.value.scale_id == scale_id
    return {e.field: e.message for e in caught.value.errors}


def test_every_bad_item_is_reported_in_one_error() -> None:
    items: dict[str, object] = {
        "forehead": True,
        "right_cheek": 2.5,
        "left_cheek": 5,
        "nose": "2",
        "chin": None,
        "ears": 1,
    }
    assert _errors("gags", items) == {
        "forehead": "must be a number",
        "right_cheek": "must be a whole number",
        "left_cheek": "must be between 0 and 4",
        "nose": "must be a number",
        "chin": "must be a number",
        "chest_upper_back": "required",
        "ears": "unknown item for this scale",
    }


def test_errors_follow_item_order_then_unknown_keys() -> None:
    with pytest.raises(ScaleValidationError) as caught:
        score_items("hexsel-css", {"zz": 1, "aa": 1})
    fields = [e.field for e in caught.value.errors]
    assert fields == [item.key for item in get_scale("hexsel-css").items] + ["aa", "zz"]
    assert all(isinstance(e, ItemError) for e in caught.value.errors)
    assert "number_of_depressions: required" in str(caught.value)


def test_bool_is_rejected_even_where_its_int_value_is_in_range() -> None:
    assert _errors("gags", GOOD_GAGS | {"nose": False}) == {"nose": "must be a number"}


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), float("nan"), float("inf")])
def test_non_finite_numbers_are_rejected(value: object) -> None:
    assert _errors("vas-pain", {"score": value}) == {"score": "must be a finite number"}


@pytest.mark.parametrize("value", [3, 3.0, Decimal("3"), Decimal("3.00")])
def test_integral_int_float_and_decimal_are_accepted(value: object) -> None:
    assert score_items("ludwig", {"grade": value}).total == 3


def test_vas_accepts_one_decimal_but_not_two() -> None:
    assert _errors("vas-pain", {"score": Decimal("3.95")}) == {"score": "must be in steps of 0.1"}
    assert score_items("vas-pain", {"score": Decimal("3.9")}).band == "mild"


@pytest.mark.parametrize("value", ["IIb", "iv", 4, "4"])
def test_norwood_accepts_only_its_stage_codes(value: object) -> None:
    assert "stage" in _errors("norwood", {"stage": value})


@pytest.mark.parametrize(
    ("scale_id", "items", "field"),
    [
        ("glogau", {"type": 0}, "type"),
        ("glogau", {"type": 5}, "type"),
        ("fitzpatrick-phototype", {"type": 7}, "type"),
        ("gais", {"rating": 0}, "rating"),
        ("cr-smfrs", {"grade": -1}, "grade"),
        ("vas-pain", {"score": Decimal("10.1")}, "score"),
    ],
)
def test_out_of_range_values_name_the_item(
    scale_id: str, items: dict[str, object], field: str
) -> None:
    assert _errors(scale_id, items)[field].startswith("must be between")


def test_masi_reports_each_bad_region_item() -> None:
    items = {item.key: 0 for item in get_scale("masi").items}
    items |= {"forehead_area": 7, "chin_homogeneity": 5}
    assert set(_errors("masi", items)) == {"forehead_area", "chin_homogeneity"}


def test_mmasi_rejects_homogeneity_items() -> None:
    items = {item.key: 0 for item in get_scale("mmasi").items} | {"chin_homogeneity": 1}
    assert _errors("mmasi", items) == {"chin_homogeneity": "unknown item for this scale"}


def test_unknown_scale_raises_with_its_id() -> None:
    with pytest.raises(UnknownScaleError) as caught:
        score_items("hamilton-depression", {})
    assert caught.value.scale_id == "hamilton-depression"
