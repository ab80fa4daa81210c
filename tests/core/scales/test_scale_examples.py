"""Worked examples from the scales' primary sources (cited per scale), one per scale."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mesocare.core.scales import score_items, severity_rank

MASI_EXAMPLE = {
    "forehead_area": 2, "forehead_darkness": 2, "forehead_homogeneity": 1,
    "right_malar_area": 4, "right_malar_darkness": 3, "right_malar_homogeneity": 2,
    "left_malar_area": 3, "left_malar_darkness": 3, "left_malar_homogeneity": 2,
    "chin_area": 1, "chin_darkness": 1, "chin_homogeneity": 1,
}  # fmt: skip


def test_hexsel_example_is_nine_and_moderate() -> None:
    """Hexsel, Dal'Forno, Hexsel, JEADV 2009;23:523-528 (CLINICAL §1.1): A2 B2 C2 D1 E2."""
    result = score_items(
        "hexsel-css",
        {
            "number_of_depressions": 2,
            "depth_of_depressions": 2,
            "morphology": 2,
            "laxity": 1,
            "nurnberger_muller": 2,
        },
    )
    assert (result.scale_id, result.total, result.band) == ("hexsel-css", Decimal(9), "moderate")


def test_nurnberger_muller_dimpling_standing_only_is_grade_two() -> None:
    """Nürnberger & Müller, J Dermatol Surg Oncol 1978;4:221-229 (CLINICAL §1.2)."""
    result = score_items("nurnberger-muller", {"grade": 2})
    assert (result.total, result.band) == (Decimal(2), "moderate")


def test_gags_example_is_twenty_three_and_moderate() -> None:
    """Doshi, Zaheer, Stiller, Int J Dermatol 1997;36:416-418 (CLINICAL §1.3)."""
    result = score_items(
        "gags",
        {
            "forehead": 2,
            "right_cheek": 3,
            "left_cheek": 1,
            "nose": 1,
            "chin": 4,
            "chest_upper_back": 2,
        },
    )
    assert (result.total, result.band) == (Decimal(23), "moderate")


def test_masi_example_is_twelve_point_five_without_band() -> None:
    """Kimbrough-Green 1994; Pandya, JAAD 2011;64:78-83 (CLINICAL §1.7)."""
    result = score_items("masi", MASI_EXAMPLE)
    assert (result.total, result.band) == (Decimal("12.5"), None)


def test_mmasi_example_is_seven_point_six_without_band() -> None:
    """Pandya, JAAD 2011;64:78-83 (CLINICAL §1.7); bandless by API contract."""
    items = {k: v for k, v in MASI_EXAMPLE.items() if not k.endswith("_homogeneity")}
    result = score_items("mmasi", items)
    assert (result.total, result.band) == (Decimal("7.6"), None)


def test_norwood_four_is_rank_seven_and_moderate() -> None:
    """Norwood, South Med J 1975;68:1359-1365 (CLINICAL §1.8): temples + crown, bridge intact."""
    result = score_items("norwood", {"stage": "IV"})
    assert (result.total, result.band) == (Decimal(7), "moderate")
    assert severity_rank("norwood", "moderate") == 2


@pytest.mark.parametrize(
    ("scale_id", "items", "total", "band"),
    [
        # Glogau, Semin Cutan Med Surg 1996;15:134-138: lines only on animation -> II.
        ("glogau", {"type": 2}, Decimal(2), "moderate"),
        # Ludwig, Br J Dermatol 1977;97:247-254: see-through crown, not bald -> II.
        ("ludwig", {"grade": 2}, Decimal(2), "moderate"),
        # CLINICAL §1.12: NRS 5 during nappage -> moderate.
        ("vas-pain", {"score": 5}, Decimal(5), "moderate"),
        # Fitzpatrick, Arch Dermatol 1988;124:869-871: burns occasionally, tans gradually.
        ("fitzpatrick-phototype", {"type": 3}, Decimal(3), "III"),
        # ATX-101 trials NCT01546142: baseline CR-SMFRS 3.
        ("cr-smfrs", {"grade": 3}, Decimal(3), "severe"),
        # CLINICAL §5: GAIS 3 "improved".
        ("gais", {"rating": 3}, Decimal(3), "improved"),
    ],
)
def test_single_item_examples(
    scale_id: str, items: dict[str, object], total: Decimal, band: str
) -> None:
    """Single-item examples from CLINICAL §1.5, 1.9, 1.12, 1.13, 1.14 and §5."""
    result = score_items(scale_id, items)
    assert (result.total, result.band) == (total, band)


def test_masi_rounds_half_up_once_on_the_exact_total() -> None:
    """Kimbrough-Green 1994: 0.1 x 1 x (1 + 0) on the chin alone is 0.1, no float drift."""
    items = dict.fromkeys(MASI_EXAMPLE, 0) | {"chin_area": 1, "chin_darkness": 1}
    assert score_items("masi", items).total == Decimal("0.1")


def test_maximum_masi_and_mmasi_hit_the_published_ranges() -> None:
    """Pandya 2011: MASI 0-48, mMASI 0-24."""
    masi = {k: (6 if k.endswith("_area") else 4) for k in MASI_EXAMPLE}
    mmasi = {k: v for k, v in masi.items() if not k.endswith("_homogeneity")}
    assert score_items("masi", masi).total == Decimal("48.0")
    assert score_items("mmasi", mmasi).total == Decimal("24.0")


def test_float_vas_score_is_read_as_its_decimal_text() -> None:
    """0.1 as a float must be Decimal('0.1'), so the boundary stays exact."""
    assert score_items("vas-pain", {"score": 3.9}).total == Decimal("3.9")
