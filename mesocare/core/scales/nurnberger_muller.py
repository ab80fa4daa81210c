"""Nürnberger-Müller cellulite grade: a single ordinal 0-3."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ScaleDef, ScoreResult, bands, integer_item, single_item

SCALE = ScaleDef(
    id="nurnberger-muller",
    name="Nürnberger-Müller cellulite classification",
    version="1978",
    items=(
        integer_item(
            "grade",
            "Grade",
            0,
            3,
            (
                "Grade 0: no dimpling standing or lying; pinch test shows folds and furrows but "
                "no mattress appearance",
                "Grade I: smooth skin standing and lying; mattress (orange-peel) appearance only "
                "on pinch test or muscle contraction",
                "Grade II: mattress appearance spontaneously when standing, disappears lying "
                "supine",
                "Grade III: mattress appearance spontaneously both standing and lying",
            ),
        ),
    ),
    total_min=Decimal(0),
    total_max=Decimal(3),
    bands=bands(
        ("none", "Grade 0", 0, 0),
        ("mild", "Grade I", 1, 1),
        ("moderate", "Grade II", 2, 2),
        ("severe", "Grade III", 3, 3),
    ),
    citation=(
        "Nürnberger F, Müller G. So-called cellulite: an invented disease. "
        "J Dermatol Surg Oncol 1978;4:221-229."
    ),
    higher_is_worse=True,
    description=(
        "Clinical grade from inspection standing and lying, with pinch test. Not the 4-stage "
        "histological (Curri) grading, which is also often labelled I-IV."
    ),
    compute=single_item("grade"),
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
