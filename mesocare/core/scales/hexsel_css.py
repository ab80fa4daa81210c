"""Hexsel Cellulite Severity Scale (CSS): five items scored 0-3, summed."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ScaleDef, ScoreResult, bands, integer_item, sum_of_items

SCALE = ScaleDef(
    id="hexsel-css",
    name="Hexsel Cellulite Severity Scale",
    version="2009",
    items=(
        integer_item(
            "number_of_depressions",
            "A. Number of evident depressions",
            0,
            3,
            ("None", "A small amount: 1-4", "A moderate amount: 5-9", "A large amount: 10 or more"),
        ),
        integer_item(
            "depth_of_depressions",
            "B. Depth of depressions",
            0,
            3,
            ("No depressions", "Superficial depressions", "Medium depth", "Deep depressions"),
        ),
        integer_item(
            "morphology",
            "C. Morphological appearance of skin-surface alterations (raised areas)",
            0,
            3,
            (
                "No raised areas",
                "'Orange peel' appearance",
                "'Cottage cheese' appearance",
                "'Mattress' appearance",
            ),
        ),
        integer_item(
            "laxity",
            "D. Grade of laxity, flaccidity or sagging skin",
            0,
            3,
            (
                "Absence of laxity, flaccidity or sagging",
                "Slightly draped appearance",
                "Moderately draped appearance",
                "Severely draped appearance",
            ),
        ),
        integer_item(
            "nurnberger_muller",
            "E. Nürnberger-Müller classification",
            0,
            3,
            ("Grade 0", "Grade I", "Grade II", "Grade III"),
        ),
    ),
    total_min=Decimal(0),
    total_max=Decimal(15),
    bands=bands(
        ("none", "No cellulite", 0, 0),
        ("mild", "Mild", 1, 5),
        ("moderate", "Moderate", 6, 10),
        ("severe", "Severe", 11, 15),
    ),
    citation=(
        "Hexsel DM, Dal'Forno T, Hexsel CL. A validated photonumeric cellulite severity scale. "
        "J Eur Acad Dermatol Venereol 2009;23:523-528."
    ),
    higher_is_worse=True,
    description=(
        "Rate each area (e.g. each buttock/posterior thigh) with the patient standing and the "
        "gluteal muscles relaxed. Total 0-15. The 0 'none' band is not named in the paper."
    ),
    compute=sum_of_items,
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
