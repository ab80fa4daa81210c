"""Clinician-Reported Submental Fat Rating Scale (CR-SMFRS), 0-4."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ScaleDef, ScoreResult, bands, integer_item, single_item

SCALE = ScaleDef(
    id="cr-smfrs",
    name="Clinician-Reported Submental Fat Rating Scale",
    version="ATX-101 phase 3",
    items=(
        integer_item(
            "grade",
            "Submental fat",
            0,
            4,
            (
                "Absent: no localized submental fat evident (no submental convexity)",
                "Mild: minimal, localized submental fat",
                "Moderate: prominent, localized submental fat",
                "Severe: marked, localized submental fat",
                "Extreme",
            ),
        ),
    ),
    total_min=Decimal(0),
    total_max=Decimal(4),
    bands=bands(
        ("none", "Absent", 0, 0),
        ("mild", "Mild", 1, 1),
        ("moderate", "Moderate", 2, 2),
        ("severe", "Severe", 3, 3),
        ("extreme", "Extreme", 4, 4),
    ),
    citation="ATX-101 (deoxycholic acid) phase 3 trials, NCT01546142 and NCT02438813.",
    higher_is_worse=True,
    description=(
        "Clinician rating of submental fat. Trial response is a 1- (or 2-) grade improvement "
        "on both CR-SMFRS and the patient-reported PR-SMFRS, 12 weeks after the last session."
    ),
    compute=single_item("grade"),
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
