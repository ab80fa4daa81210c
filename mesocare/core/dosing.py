"""Dose arithmetic for injectables, in ``Decimal``.

Rounding is always in the safe direction: amounts given are rounded *up* and limits
*down*, so that rounding can never turn an overdose into an allowed dose.
Sources: lidocaine US labels (plain ≤4.5 mg/kg, never >300 mg; with epinephrine
≤7 mg/kg, below 500 mg) — see docs/clinical-sources.md, "Dose rules".
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

MG_STEP = Decimal("0.01")
ML_STEP = Decimal("0.01")

LIDOCAINE_PLAIN_MG_PER_KG = Decimal("4.5")
LIDOCAINE_PLAIN_CAP_MG = Decimal("300")
LIDOCAINE_EPI_MG_PER_KG = Decimal("7")
LIDOCAINE_EPI_CAP_MG = Decimal("500")


@dataclass(frozen=True)
class LidocaineLimit:
    """Maximum lidocaine for one session.

    ``weight_based_mg`` is ``per_kg × weight_kg`` before the cap; ``capped`` tells
    whether the absolute cap (``cap_mg``) is the binding limit.
    """

    max_mg: Decimal
    per_kg: Decimal
    cap_mg: Decimal
    capped: bool
    weight_kg: Decimal
    weight_based_mg: Decimal


def _non_negative(name: str, value: Decimal) -> Decimal:
    value = Decimal(value)
    if not value.is_finite() or value < 0:
        raise ValueError(f"{name} must be a finite, non-negative number, got {value}")
    return value


def mg_from_ml(volume_ml: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    """Milligrams in ``volume_ml`` of a solution, rounded up to 0.01 mg."""
    volume = _non_negative("volume_ml", volume_ml)
    concentration = _non_negative("concentration_mg_per_ml", concentration_mg_per_ml)
    return (volume * concentration).quantize(MG_STEP, rounding=ROUND_CEILING)


def percent_to_mg_per_ml(pct: Decimal) -> Decimal:
    """Convert a w/v percentage to mg/mL: 1 % = 1 g/100 mL = 10 mg/mL."""
    return _non_negative("pct", pct) * 10


def lidocaine_max_mg(weight_kg: Decimal, with_epinephrine: bool) -> LidocaineLimit:
    """Label maximum lidocaine for a patient of ``weight_kg`` (rounded down to 0.01 mg)."""
    weight = _non_negative("weight_kg", weight_kg)
    if weight == 0:
        raise ValueError("weight_kg must be greater than zero")
    if with_epinephrine:
        per_kg, cap = LIDOCAINE_EPI_MG_PER_KG, LIDOCAINE_EPI_CAP_MG
    else:
        per_kg, cap = LIDOCAINE_PLAIN_MG_PER_KG, LIDOCAINE_PLAIN_CAP_MG
    weight_based = (per_kg * weight).quantize(MG_STEP, rounding=ROUND_FLOOR)
    capped = weight_based > cap
    return LidocaineLimit(
        max_mg=cap if capped else weight_based,
        per_kg=per_kg,
        cap_mg=cap,
        capped=capped,
        weight_kg=weight,
        weight_based_mg=weight_based,
    )


def max_volume_ml(max_mg: Decimal, concentration_mg_per_ml: Decimal) -> Decimal:
    """Largest volume (rounded down to 0.01 mL) that stays within ``max_mg``."""
    limit = _non_negative("max_mg", max_mg)
    concentration = _non_negative("concentration_mg_per_ml", concentration_mg_per_ml)
    if concentration == 0:
        raise ValueError("concentration_mg_per_ml must be greater than zero")
    return (limit / concentration).quantize(ML_STEP, rounding=ROUND_FLOOR)


def fmt(value: Decimal) -> str:
    """Plain decimal text without trailing zeros or exponent: 300.00 → '300'."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in {"-0", ""} else text
