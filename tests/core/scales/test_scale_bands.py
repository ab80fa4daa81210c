"""Every band boundary, inclusive on both sides, and band ranks."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mesocare.core.scales import ScaleDef, all_scales, get_scale, score_items, severity_rank


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "none"), (1, "mild"), (5, "mild"), (6, "moderate"), (10, "moderate"),
     (11, "severe"), (15, "severe")],
)  # fmt: skip
def test_hexsel_bands(total: int, band: str) -> None:
    """Hexsel JEADV 2009: 1-5 mild, 6-10 moderate, 11-15 severe (cut-offs [GK])."""
    assert get_scale("hexsel-css").band_for(Decimal(total)) == band


@pytest.mark.parametrize(
    ("total", "band"),
    [(0, "none"), (1, "mild"), (18, "mild"), (19, "moderate"), (30, "moderate"),
     (31, "severe"), (38, "severe"), (39, "very_severe"), (44, "very_severe")],
)  # fmt: skip
def test_gags_bands(total: int, band: str) -> None:
    """Doshi 1997: 1-18 mild, 19-30 moderate, 31-38 severe, >=39 very severe."""
    assert get_scale("gags").band_for(Decimal(total)) == band


@pytest.mark.parametrize(
    ("score", "band"),
    [("0", "none"), ("0.1", "mild"), ("3.9", "mild"), ("4.0", "moderate"),
     ("6.9", "moderate"), ("7.0", "severe"), ("10", "severe")],
)  # fmt: skip
def test_vas_bands(score: str, band: str) -> None:
    """Pain 0-10: >0-<4 mild, 4-<7 moderate, >=7 severe."""
    assert score_items("vas-pain", {"score": Decimal(score)}).band == band


@pytest.mark.parametrize(
    ("stage", "rank", "band"),
    [("I", 1, "mild"), ("II", 2, "mild"), ("IIa", 3, "mild"), ("III", 4, "moderate"),
     ("IIIa", 5, "moderate"), ("III-vertex", 6, "moderate"), ("IV", 7, "moderate"),
     ("IVa", 8, "moderate"), ("V", 9, "severe"), ("Va", 10, "severe"), ("VI", 11, "severe"),
     ("VII", 12, "severe")],
)  # fmt: skip
def test_norwood_stage_ranks_and_bands(stage: str, rank: int, band: str) -> None:
    """Norwood 1975: ordered stages I ... VII, with the 'a' variants after their type."""
    result = score_items("norwood", {"stage": stage})
    assert (result.total, result.band) == (Decimal(rank), band)


@pytest.mark.parametrize(
    ("scale_id", "codes"),
    [
        ("nurnberger-muller", ["none", "mild", "moderate", "severe"]),
        ("cr-smfrs", ["none", "mild", "moderate", "severe", "extreme"]),
        ("glogau", ["mild", "moderate", "advanced", "severe"]),
        ("ludwig", ["mild", "moderate", "severe"]),
        ("gais", ["very_much_improved", "much_improved", "improved", "no_change", "worse"]),
        ("fitzpatrick-phototype", ["I", "II", "III", "IV", "V", "VI"]),
    ],
)
def test_single_item_scales_map_each_value_to_its_band(scale_id: str, codes: list[str]) -> None:
    scale = get_scale(scale_id)
    values = range(int(scale.total_min), int(scale.total_max) + 1)
    assert [scale.band_for(Decimal(v)) for v in values] == codes


def test_severity_rank_counts_none_as_zero() -> None:
    assert [severity_rank("gags", b.code) for b in get_scale("gags").bands] == [0, 1, 2, 3, 4]


def test_severity_rank_starts_at_one_when_the_scale_has_no_none_band() -> None:
    assert severity_rank("glogau", "mild") == 1
    assert severity_rank("glogau", "severe") == 4


def test_severity_rank_rejects_a_band_of_another_scale() -> None:
    with pytest.raises(ValueError, match="no band 'extreme'"):
        severity_rank("hexsel-css", "extreme")


def test_band_for_rejects_totals_outside_the_scale() -> None:
    with pytest.raises(ValueError, match="outside"):
        get_scale("hexsel-css").band_for(Decimal(16))


@pytest.mark.parametrize("scale", all_scales(), ids=lambda s: s.id)
def test_bands_are_contiguous_and_cover_the_whole_range(scale: ScaleDef) -> None:
    if not scale.bands:
        assert scale.id in {"masi", "mmasi"}
        return
    assert scale.bands[0].low == scale.total_min
    assert scale.bands[-1].high == scale.total_max
    # Totals move in the finest item step (0.1 for VAS); every other scale moves in 1.
    step = min((item.step or Decimal(1) for item in scale.items), default=Decimal(1))
    for lower, upper in zip(scale.bands, scale.bands[1:], strict=False):
        assert lower.low <= lower.high
        assert upper.low == lower.high + step
