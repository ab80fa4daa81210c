"""Modified MASI (mMASI): MASI without the homogeneity term."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ScaleDef, ScoreResult
from .masi import CITATION, REGION_WEIGHTS, region_items, round_index


def _compute(values: Mapping[str, Decimal]) -> Decimal:
    exact = sum(
        (
            weight * values[f"{region}_area"] * values[f"{region}_darkness"]
            for region, weight in REGION_WEIGHTS.items()
        ),
        Decimal(0),
    )
    return round_index(exact)


# The Rodrigues 2016 cut-offs (mild <3.2, moderate 3.2-6.8, severe >6.8) are left out on
# purpose: the API contract fixes mMASI as bandless, and the cut-offs are not yet verified.
SCALE = ScaleDef(
    id="mmasi",
    name="Modified Melasma Area and Severity Index",
    version="2011",
    items=region_items(homogeneity=False),
    total_min=Decimal("0.0"),
    total_max=Decimal("24.0"),
    bands=(),
    citation=CITATION,
    higher_is_worse=True,
    description=(
        "For forehead, right malar, left malar (weight 0.3 each) and chin (0.1): "
        "weight x area x darkness, summed. 0-24."
    ),
    compute=_compute,
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
