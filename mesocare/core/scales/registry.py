"""Lookup of every scale by id, and scoring by id."""

from __future__ import annotations

from collections.abc import Mapping

from . import (
    cr_smfrs,
    fitzpatrick_phototype,
    gags,
    gais,
    glogau,
    hexsel_css,
    ludwig,
    masi,
    mmasi,
    norwood,
    nurnberger_muller,
    vas_pain,
)
from .base import ScaleDef, ScoreResult

_SCALES: dict[str, ScaleDef] = {
    module.SCALE.id: module.SCALE
    for module in (
        hexsel_css,
        nurnberger_muller,
        gags,
        masi,
        mmasi,
        vas_pain,
        glogau,
        norwood,
        ludwig,
        cr_smfrs,
        gais,
        fitzpatrick_phototype,
    )
}


class UnknownScaleError(LookupError):
    def __init__(self, scale_id: str) -> None:
        self.scale_id = scale_id
        super().__init__(f"unknown scale '{scale_id}'")


def get_scale(scale_id: str) -> ScaleDef:
    try:
        return _SCALES[scale_id]
    except KeyError:
        raise UnknownScaleError(scale_id) from None


def all_scales() -> tuple[ScaleDef, ...]:
    return tuple(_SCALES.values())


def score_items(scale_id: str, items: Mapping[str, object]) -> ScoreResult:
    return get_scale(scale_id).score(items)


def severity_rank(scale_id: str, band: str) -> int:
    """Ordinal of ``band`` within its scale: ``none`` is 0, the mildest real band is 1."""
    return get_scale(scale_id).band_rank(band)
