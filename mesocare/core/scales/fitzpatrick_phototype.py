"""Fitzpatrick skin phototype I-VI."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ScaleDef, ScoreResult, bands, integer_item, single_item

_ROMAN = ("I", "II", "III", "IV", "V", "VI")

SCALE = ScaleDef(
    id="fitzpatrick-phototype",
    name="Fitzpatrick skin phototype",
    version="1988",
    items=(
        integer_item(
            "type",
            "Phototype",
            1,
            6,
            (
                "I: always burns, never tans (very fair; red or blond hair; freckles)",
                "II: usually burns, tans minimally (fair)",
                "III: sometimes burns mildly, tans gradually and uniformly (light brown)",
                "IV: burns minimally, always tans well (moderate brown)",
                "V: rarely burns, tans very easily (dark brown)",
                "VI: never burns, deeply pigmented (dark brown to black)",
            ),
        ),
    ),
    total_min=Decimal(1),
    total_max=Decimal(6),
    bands=bands(*((roman, f"Type {roman}", n, n) for n, roman in enumerate(_ROMAN, start=1))),
    citation="Fitzpatrick TB. The validity and practicality of sun-reactive skin types I "
    "through VI. Arch Dermatol 1988;124:869-871.",
    # A constitutional trait, not a severity: it does not change with treatment.
    higher_is_worse=False,
    description=(
        "Types IV-VI carry a higher risk of post-inflammatory hyperpigmentation after "
        "needling, peels and melasma treatment."
    ),
    compute=single_item("type"),
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
