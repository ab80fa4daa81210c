"""Ludwig female pattern hair loss grades 1-3."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ScaleDef, ScoreResult, bands, integer_item, single_item

SCALE = ScaleDef(
    id="ludwig",
    name="Ludwig classification",
    version="1977",
    items=(
        integer_item(
            "grade",
            "Grade",
            1,
            3,
            (
                "Grade I: perceptible thinning of the crown, bounded in front about 1-3 cm "
                "behind the frontal hairline",
                "Grade II: pronounced rarefaction of the hair within the same area",
                "Grade III: full baldness within that area",
            ),
        ),
    ),
    total_min=Decimal(1),
    total_max=Decimal(3),
    bands=bands(
        ("mild", "Grade I", 1, 1),
        ("moderate", "Grade II", 2, 2),
        ("severe", "Grade III", 3, 3),
    ),
    citation="Ludwig E. Classification of the types of androgenetic alopecia (common "
    "baldness) occurring in the female sex. Br J Dermatol 1977;97:247-254.",
    higher_is_worse=True,
    description="The frontal hairline is preserved in every grade.",
    compute=single_item("grade"),
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
