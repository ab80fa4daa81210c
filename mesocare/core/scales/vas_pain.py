"""Pain visual analogue scale, recorded 0-10 in steps of 0.1."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ItemDef, ScaleDef, ScoreResult, bands, single_item

SCALE = ScaleDef(
    id="vas-pain",
    name="Pain visual analogue scale",
    version="0-10",
    items=(
        ItemDef(
            key="score",
            label="Pain",
            minimum=Decimal(0),
            maximum=Decimal(10),
            step=Decimal("0.1"),
            anchors=((Decimal(0), "No pain"), (Decimal(10), "Worst pain imaginable")),
        ),
    ),
    total_min=Decimal(0),
    total_max=Decimal(10),
    # Inclusive bounds at the 0.1 resolution: >0-<4 mild, 4-<7 moderate, >=7 severe.
    bands=bands(
        ("none", "No pain", "0", "0"),
        ("mild", "Mild", "0.1", "3.9"),
        ("moderate", "Moderate", "4.0", "6.9"),
        ("severe", "Severe", "7.0", "10"),
    ),
    citation=(
        "Bands: the common 0 / 1-3 / 4-6 / 7-10 grouping of 0-10 pain scales (Hawker GA et al., "
        "Arthritis Care Res 2011;63 Suppl 11:S240-S252, doi:10.1002/acr.20543); a 2-point "
        "change is clinically important (Farrar JT et al., Pain 2001;94:149-158)."
    ),
    higher_is_worse=True,
    description="Patient-rated pain, for example during or after a session. 0-10.",
    compute=single_item("score"),
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
