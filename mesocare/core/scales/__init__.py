"""Validated severity scales: definitions, item validation, totals and bands."""

from __future__ import annotations

from .base import (
    Band,
    ItemDef,
    ItemError,
    ScaleDef,
    ScaleValidationError,
    ScoreResult,
)
from .registry import (
    UnknownScaleError,
    all_scales,
    get_scale,
    score_items,
    severity_rank,
)

__all__ = [
    "Band",
    "ItemDef",
    "ItemError",
    "ScaleDef",
    "ScaleValidationError",
    "ScoreResult",
    "UnknownScaleError",
    "all_scales",
    "get_scale",
    "score_items",
    "severity_rank",
]
