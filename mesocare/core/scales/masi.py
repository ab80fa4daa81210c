"""Melasma Area and Severity Index (MASI); also holds the regions shared with mMASI."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal

from .base import ItemDef, ScaleDef, ScoreResult, integer_item

REGION_WEIGHTS: Mapping[str, Decimal] = {
    "forehead": Decimal("0.3"),
    "right_malar": Decimal("0.3"),
    "left_malar": Decimal("0.3"),
    "chin": Decimal("0.1"),
}

_REGION_LABELS = {
    "forehead": "Forehead",
    "right_malar": "Right malar",
    "left_malar": "Left malar",
    "chin": "Chin",
}

AREA_ANCHORS = ("0%", "<10%", "10-29%", "30-49%", "50-69%", "70-89%", "90-100%")
INTENSITY_ANCHORS = ("Absent", "Slight", "Mild", "Marked", "Maximum")

CITATION = (
    "Kimbrough-Green CK et al. Arch Dermatol 1994;130:727 (MASI); "
    "Pandya AG et al. J Am Acad Dermatol 2011;64:78-83 (validation, mMASI)."
)

ONE_DECIMAL = Decimal("0.1")


def region_items(*, homogeneity: bool) -> tuple[ItemDef, ...]:
    items: list[ItemDef] = []
    for region, label in _REGION_LABELS.items():
        items.append(integer_item(f"{region}_area", f"{label}: area", 0, 6, AREA_ANCHORS))
        items.append(
            integer_item(f"{region}_darkness", f"{label}: darkness", 0, 4, INTENSITY_ANCHORS)
        )
        if homogeneity:
            items.append(
                integer_item(
                    f"{region}_homogeneity", f"{label}: homogeneity", 0, 4, INTENSITY_ANCHORS
                )
            )
    return tuple(items)


def round_index(exact: Decimal) -> Decimal:
    # Computed exactly first; rounding happens once, on the total.
    return exact.quantize(ONE_DECIMAL, rounding=ROUND_HALF_UP)


def _compute(values: Mapping[str, Decimal]) -> Decimal:
    exact = sum(
        (
            weight
            * values[f"{region}_area"]
            * (values[f"{region}_darkness"] + values[f"{region}_homogeneity"])
            for region, weight in REGION_WEIGHTS.items()
        ),
        Decimal(0),
    )
    return round_index(exact)


SCALE = ScaleDef(
    id="masi",
    name="Melasma Area and Severity Index",
    version="1994",
    items=region_items(homogeneity=True),
    total_min=Decimal("0.0"),
    total_max=Decimal("48.0"),
    bands=(),
    citation=CITATION,
    higher_is_worse=True,
    description=(
        "For forehead, right malar, left malar (weight 0.3 each) and chin (0.1): "
        "weight x area x (darkness + homogeneity), summed. 0-48; no validated bands."
    ),
    compute=_compute,
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
