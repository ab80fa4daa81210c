"""A scale total as a reader knows it, in messages such as a protocol's maximum stage."""

from __future__ import annotations

from decimal import Decimal

from mesocare.core.scales.registry import get_scale


def test_a_norwood_rank_is_described_by_its_stage_code() -> None:
    scale = get_scale("norwood")
    assert scale.describe_total(Decimal("11.00")) == "VI"
    assert scale.describe_total(Decimal(10)) == "Va"


def test_a_summed_scale_total_is_described_without_trailing_zeros() -> None:
    assert get_scale("hexsel-css").describe_total(Decimal("11.00")) == "11"
