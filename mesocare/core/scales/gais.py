"""Global Aesthetic Improvement Scale (GAIS), 1 very much improved ... 5 worse."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ScaleDef, ScoreResult, bands, integer_item, single_item

SCALE = ScaleDef(
    id="gais",
    name="Global Aesthetic Improvement Scale",
    version="1-5",
    items=(
        integer_item(
            "rating",
            "Improvement compared with baseline",
            1,
            5,
            (
                "Very much improved: optimal cosmetic result",
                "Much improved: marked improvement, but not completely optimal",
                "Improved: obvious improvement, but re-treatment or touch-up is indicated",
                "No change",
                "Worse",
            ),
        ),
    ),
    total_min=Decimal(1),
    total_max=Decimal(5),
    bands=bands(
        ("very_much_improved", "Very much improved", 1, 1),
        ("much_improved", "Much improved", 2, 2),
        ("improved", "Improved", 3, 3),
        ("no_change", "No change", 4, 4),
        ("worse", "Worse", 5, 5),
    ),
    citation=(
        "Global Aesthetic Improvement Scale, investigator (IGAIS) and subject (SGAIS) "
        "versions as used in aesthetic trials (e.g. Savoia et al. 2013, HA mesotherapy); "
        "no validated cut-offs."
    ),
    # A rating of change against baseline, not a state: comparing two GAIS ratings with
    # each other, as course review does, has no meaning.
    higher_is_worse=False,
    description=(
        "Rated against baseline photographs; lower is better. Responder is usually 1-3 "
        "('improved' or better). Beware inverted 0-4 variants."
    ),
    compute=single_item("rating"),
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
