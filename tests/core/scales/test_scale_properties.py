"""Properties that hold for every scale, over every valid set of items."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesocare.core.scales import ItemDef, ScaleDef, all_scales, get_scale, score_items

SCALES = all_scales()


def _levels(item: ItemDef) -> list[object]:
    """Every valid raw value of ``item``, in increasing order."""
    if item.choices is not None:
        return list(item.choices)
    step = item.step or Decimal(1)
    count = int((item.maximum - item.minimum) / step) + 1
    return [item.minimum + i * step for i in range(count)]


@st.composite
def level_indexes(draw: st.DrawFn, scale: ScaleDef) -> dict[str, int]:
    return {
        item.key: draw(st.integers(0, len(_levels(item)) - 1), label=item.key)
        for item in scale.items
    }


def _items(scale: ScaleDef, indexes: dict[str, int]) -> dict[str, object]:
    return {item.key: _levels(item)[indexes[item.key]] for item in scale.items}


scale_and_indexes = st.sampled_from(SCALES).flatmap(
    lambda scale: st.tuples(st.just(scale), level_indexes(scale))
)


@given(scale_and_indexes)
def test_total_is_within_the_scale_range(case: tuple[ScaleDef, dict[str, int]]) -> None:
    scale, indexes = case
    result = score_items(scale.id, _items(scale, indexes))
    assert scale.total_min <= result.total <= scale.total_max


@given(scale_and_indexes)
def test_band_is_defined_whenever_the_scale_has_bands(
    case: tuple[ScaleDef, dict[str, int]],
) -> None:
    scale, indexes = case
    result = score_items(scale.id, _items(scale, indexes))
    if scale.bands:
        band = next(b for b in scale.bands if b.code == result.band)
        assert band.low <= result.total <= band.high
    else:
        assert result.band is None


@given(scale_and_indexes, st.data())
def test_raising_any_item_never_lowers_the_total_or_the_band(
    case: tuple[ScaleDef, dict[str, int]], data: st.DataObject
) -> None:
    scale, indexes = case
    item = data.draw(st.sampled_from(scale.items), label="raised item")
    top = len(_levels(item)) - 1
    raised = indexes | {item.key: data.draw(st.integers(indexes[item.key], top), label="to")}
    before = score_items(scale.id, _items(scale, indexes))
    after = score_items(scale.id, _items(scale, raised))
    assert after.total >= before.total
    if before.band is not None and after.band is not None:
        assert scale.band_rank(after.band) >= scale.band_rank(before.band)


@given(scale_and_indexes)
def test_scoring_is_deterministic_and_leaves_the_input_alone(
    case: tuple[ScaleDef, dict[str, int]],
) -> None:
    scale, indexes = case
    items = _items(scale, indexes)
    snapshot = dict(items)
    assert score_items(scale.id, items) == score_items(scale.id, snapshot)
    assert items == snapshot


@pytest.mark.parametrize("scale_id", ["masi", "mmasi"])
@given(data=st.data())
def test_melasma_totals_have_exactly_one_decimal(scale_id: str, data: st.DataObject) -> None:
    scale = get_scale(scale_id)
    result = score_items(scale_id, _items(scale, data.draw(level_indexes(scale))))
    assert result.total.as_tuple().exponent == -1


@given(st.integers(0, 100))
def test_vas_band_matches_the_open_and_closed_cut_offs(tenths: int) -> None:
    value = Decimal(tenths) / 10
    band = score_items("vas-pain", {"score": value}).band
    expected = (
        "none" if value == 0 else "mild" if value < 4 else "moderate" if value < 7 else "severe"
    )
    assert band == expected
