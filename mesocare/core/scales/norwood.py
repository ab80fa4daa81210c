"""Hamilton-Norwood male pattern hair loss stages, scored as their rank 1-12."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from .base import ItemDef, ScaleDef, ScoreResult, bands, single_item

_A_VARIANT = (
    "the whole anterior hairline recedes as a unit, without a mid-frontal island or a "
    "separate vertex patch"
)

STAGES: tuple[tuple[str, str], ...] = (
    ("I", "No or minimal frontotemporal recession"),
    (
        "II",
        "Symmetric triangular frontotemporal recession, not more than about 2 cm anterior to "
        "a coronal line through the external auditory meati",
    ),
    ("IIa", f"Type II extent, but {_A_VARIANT}"),
    (
        "III",
        "Deep frontotemporal recession, bare or sparsely haired: the minimal stage counted as "
        "baldness",
    ),
    ("IIIa", f"Type III extent, but {_A_VARIANT}"),
    ("III-vertex", "Mainly vertex loss; frontotemporal recession no more than type III"),
    (
        "IV",
        "More severe frontal recession than type III plus sparse or absent vertex hair; the "
        "zones are separated by a band of moderately dense hair across the top",
    ),
    ("IVa", f"Type IV extent, but {_A_VARIANT}"),
    ("V", "As type IV, but the bridge is narrower and sparser and both areas are larger"),
    ("Va", f"Most advanced 'a' variant: {_A_VARIANT}"),
    ("VI", "Bridge lost: frontotemporal and vertex zones are confluent"),
    (
        "VII",
        "Only a narrow horseshoe band remains laterally and posteriorly, starting in front of "
        "the ears and low on the occiput",
    ),
)

SCALE = ScaleDef(
    id="norwood",
    name="Hamilton-Norwood classification",
    version="1975",
    items=(
        ItemDef(
            key="stage",
            label="Stage",
            minimum=Decimal(1),
            maximum=Decimal(len(STAGES)),
            anchors=tuple(
                (Decimal(rank), f"{code}: {text}")
                for rank, (code, text) in enumerate(STAGES, start=1)
            ),
            choices=tuple(code for code, _ in STAGES),
        ),
    ),
    total_min=Decimal(1),
    total_max=Decimal(len(STAGES)),
    bands=bands(
        ("mild", "Mild (I-II, IIa)", 1, 3),
        ("moderate", "Moderate (III-IVa)", 4, 8),
        ("severe", "Severe (V-VII)", 9, 12),
    ),
    citation="Norwood OT. Male pattern baldness: classification and incidence. "
    "South Med J 1975;68:1359-1365.",
    higher_is_worse=True,
    description="Pass the stage code; the total is its rank in the order I, II, IIa ... VII.",
    compute=single_item("stage"),
)


def score(items: Mapping[str, object]) -> ScoreResult:
    return SCALE.score(items)
