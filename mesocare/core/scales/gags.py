"""Global Acne Grading System (GAGS): location factor x worst lesion grade, summed."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ScaleDef, ScoreResult, bands, integer_item

LESION_GRADES = (
    "No lesions",
    "One or more comedones",
    "One or more papules",
    "One or more pustules",
    "One or more nodules (nodule/cyst)",
)

LOCATION_FACTORS: Mapping[str, int] = {
    "forehead": 2,
    "right_cheek": 2,
    "left_cheek": 2,
    "nose": 1,
    "chin": 1,
    "chest_upper_back": 3,
}

_LABELS = {
    "forehead": "Forehead",
    "right_cheek": "Right cheek",
    "left_cheek": "Left cheek",
    "nose": "Nose",
    "chin": "Chin",
    "chest_upper_back": "Chest and upper back",
}


def _compute(values: Mapping[str, Decimal]) -> Decimal:
    return sum((factor * values[key] for key, factor in LOCATION_FACTORS.items()), Decimal(0))


SCALE = ScaleDef(
    id="gags",
    name="Global Acne Grading System",
    version="1997",
    items=tuple(
        integer_item(key, f"{_LABELS[key]} (factor {factor})", 0, 4, LESION_GRADES)
        for key, factor in LOCATION_FACTORS.items()
    ),
    total_min=Decimal(0),
    total_max=Decimal(4 * sum(LOCATION_FACTORS.values())),
    bands=bands(
        ("none", "None", 0, 0),
        ("mild", "Mild", 1, 18),
        ("moderate", "Moderate", 19, 30),
        ("severe", "Severe", 31, 38),
        ("very_severe", "Very severe", 39, 44),
    ),
    citation=(
        "Doshi A, Zaheer A, Stiller MJ. A comparison of current acne grading systems and "
        "proposal of a novel system. Int J Dermatol 1997;36:416-418."
    ),
    higher_is_worse=True,
    description=(
        "Grade each location by the most severe lesion present; the local score is the "
        "location factor times that grade. Global score 0-44."
    ),
    compute=_compute,
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
