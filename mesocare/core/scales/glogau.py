"""Glogau photoaging classification, types 1-4."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ScaleDef, ScoreResult, bands, integer_item, single_item

SCALE = ScaleDef(
    id="glogau",
    name="Glogau photoaging classification",
    version="1996",
    items=(
        integer_item(
            "type",
            "Type",
            1,
            4,
            (
                "Type I, 'no wrinkles' (mild, early photoaging; typically 20s-30s): mild pigment "
                "changes, no keratoses, minimal wrinkles; little or no make-up",
                "Type II, 'wrinkles in motion' (early to moderate; late 30s-40s): early "
                "lentigines, keratoses palpable but not visible, parallel smile lines begin; "
                "some foundation",
                "Type III, 'wrinkles at rest' (advanced; 50 and over): obvious dyschromia, "
                "telangiectasia, visible keratoses, wrinkles at rest; always heavy foundation",
                "Type IV, 'only wrinkles' (severe; 60s-70s): yellow-grey skin, prior skin "
                "malignancies, wrinkles throughout, no normal skin; make-up cakes and cracks",
            ),
        ),
    ),
    total_min=Decimal(1),
    total_max=Decimal(4),
    bands=bands(
        ("mild", "Type I", 1, 1),
        ("moderate", "Type II", 2, 2),
        ("advanced", "Type III", 3, 3),
        ("severe", "Type IV", 4, 4),
    ),
    citation="Glogau RG. Aesthetic and anatomic analysis of the aging skin. "
    "Semin Cutan Med Surg 1996;15:134-138.",
    higher_is_worse=True,
    description="Ordinal photoaging type; the ages are typical, not criteria.",
    compute=single_item("type"),
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
