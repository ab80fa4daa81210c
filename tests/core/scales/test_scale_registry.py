"""The registry holds exactly the contracted scales, each complete enough for the UI."""

from __future__ import annotations

from decimal import Decimal

import pytest

from mesocare.core.scales import ScaleDef, all_scales, get_scale

CONTRACT_ITEMS = {
    "hexsel-css": ["number_of_depressions", "depth_of_depressions", "morphology", "laxity",
                   "nurnberger_muller"],
    "nurnberger-muller": ["grade"],
    "gags": ["forehead", "right_cheek", "left_cheek", "nose", "chin", "chest_upper_back"],
    "masi": [f"{r}_{p}" for r in ("forehead", "right_malar", "left_malar", "chin")
             for p in ("area", "darkness", "homogeneity")],
    "mmasi": [f"{r}_{p}" for r in ("forehead", "right_malar", "left_malar", "chin")
              for p in ("area", "darkness")],
    "vas-pain": ["score"],
    "glogau": ["type"],
    "norwood": ["stage"],
    "ludwig": ["grade"],
    "cr-smfrs": ["grade"],
    "gais": ["rating"],
    "fitzpatrick-phototype": ["type"],
}  # fmt: skip

CONTRACT_RANGES = {
    "hexsel-css": (0, 15),
    "nurnberger-muller": (0, 3),
    "gags": (0, 44),
    "masi": (0, 48),
    "mmasi": (0, 24),
    "vas-pain": (0, 10),
    "glogau": (1, 4),
    "norwood": (1, 12),
    "ludwig": (1, 3),
    "cr-smfrs": (0, 4),
    "gais": (1, 5),
    "fitzpatrick-phototype": (1, 6),
}


def test_registry_holds_exactly_the_contracted_scales() -> None:
    assert [s.id for s in all_scales()] == list(CONTRACT_ITEMS)


@pytest.mark.parametrize("scale_id", CONTRACT_ITEMS)
def test_item_keys_and_total_range_match_the_contract(scale_id: str) -> None:
    scale = get_scale(scale_id)
    assert [item.key for item in scale.items] == CONTRACT_ITEMS[scale_id]
    low, high = CONTRACT_RANGES[scale_id]
    assert (scale.total_min, scale.total_max) == (Decimal(low), Decimal(high))


@pytest.mark.parametrize("scale", all_scales(), ids=lambda s: s.id)
def test_every_level_of_every_discrete_item_has_an_anchor_text(scale: ScaleDef) -> None:
    assert scale.citation and scale.name and scale.description and scale.version
    for item in scale.items:
        if item.step is not None:
            continue
        levels = range(int(item.minimum), int(item.maximum) + 1)
        assert [value for value, _ in item.anchors] == [Decimal(v) for v in levels], item.key
        assert all(text.strip() for _, text in item.anchors)


def test_only_gais_and_phototype_are_not_severity_scales() -> None:
    assert {s.id for s in all_scales() if not s.higher_is_worse} == {
        "gais",
        "fitzpatrick-phototype",
    }


def test_norwood_choices_are_in_rank_order() -> None:
    stage = get_scale("norwood").item("stage")
    assert stage.choices == (
        "I", "II", "IIa", "III", "IIIa", "III-vertex", "IV", "IVa", "V", "Va", "VI", "VII",
    )  # fmt: skip
