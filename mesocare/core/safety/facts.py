"""Input facts for the safety engine: frozen, plain values the caller assembles.

Codes (ingredients, allergen families, conditions, medication classes, body areas)
are compared after :func:`norm`: lower case, spaces and hyphens turned into ``_``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Literal

Sex = Literal["female", "male", "intersex", "unknown"]
PregnancyStatus = Literal["pregnant", "not_pregnant", "unknown"]
ChildbearingPotential = Literal["yes", "no", "unknown"]
ChildbearingReason = Literal["postmenopausal", "hysterectomy", "other"]
ConsentKind = Literal["general", "treatment", "photo", "guardian"]
Moment = Literal["booking", "check_in", "charting"]
# Whether the patient was asked about allergies: ``unknown`` = not asked (or not recorded),
# ``no_known_allergies`` = asked, none known (NKA), ``has_allergies`` = see ``allergies``.
AllergyStatus = Literal["unknown", "no_known_allergies", "has_allergies"]

CONDITION_CODES = frozenset(
    {
        "keloid_scarring",
        "autoimmune_disease",
        "diabetes",
        "active_skin_infection",
        "cancer_under_treatment",
        "bleeding_disorder",
        "thromboembolic_history",
    }
)
MEDICATION_CLASSES = frozenset(
    {
        "anticoagulant",
        "antiplatelet",
        "isotretinoin",
        "immunosuppressant",
        "combined_hormonal_contraceptive",
        "other",
    }
)

_SEPARATORS = re.compile(r"[\s\-]+")


def norm(term: str) -> str:
    """Normalise a code: ``"Amide local-anaesthetic"`` → ``"amide_local_anaesthetic"``."""
    return _SEPARATORS.sub("_", term.strip().lower())


def age_in_years(birth_date: date, on: date) -> int:
    """Completed years on ``on``; the birthday itself counts (29 Feb → 1 Mar otherwise)."""
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def add_months(start: date, months: int) -> date:
    """Calendar-month addition, clamped to month end: 31 Jan + 1 month = 28/29 Feb."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Allergy:
    """An allergy; ``substance_terms`` are ingredient and allergen-family codes it matches."""

    substance_terms: frozenset[str]
    label: str

    def matches(self, codes: frozenset[str]) -> frozenset[str]:
        """The normalised ``codes`` this allergy covers."""
        terms = {norm(t) for t in self.substance_terms}
        return frozenset(c for c in (norm(c) for c in codes) if c in terms)


@dataclass(frozen=True)
class ConditionFact:
    """A recorded condition; ``body_area`` ``None`` means anywhere / whole body."""

    code: str
    body_area: str | None = None


@dataclass(frozen=True)
class ConsentFact:
    kind: ConsentKind
    version: str
    signed_on: date
    indication: str | None = None
    withdrawn: bool = False


@dataclass(frozen=True)
class PatientFacts:
    """``childbearing_potential`` ``None`` means not recorded (treated like ``unknown``);
    ``reliable_contraception_on`` is the date the contraception answer was recorded;
    ``allergy_status`` ``unknown`` means nobody asked (an empty ``allergies`` is then not
    reassuring), ``no_known_allergies`` that the patient was asked and has none."""

    birth_date: date
    sex_at_birth: Sex
    pregnancy_status: PregnancyStatus | None = None
    pregnancy_status_on: date | None = None
    breastfeeding: bool | None = None
    weight_kg: Decimal | None = None
    weight_on: date | None = None
    allergies: tuple[Allergy, ...] = ()
    allergy_status: AllergyStatus = "unknown"
    medication_classes: frozenset[str] = frozenset()
    conditions: tuple[ConditionFact, ...] = ()
    consents: tuple[ConsentFact, ...] = ()
    childbearing_potential: ChildbearingPotential | None = None
    childbearing_potential_reason: ChildbearingReason | None = None
    reliable_contraception: bool | None = None
    reliable_contraception_on: date | None = None

    def __post_init__(self) -> None:
        if self.weight_kg is not None and not self.weight_kg > 0:
            raise ValueError(f"weight_kg must be positive, got {self.weight_kg}")

    def has_condition(self, code: str) -> bool:
        return any(norm(c.code) == code for c in self.conditions)


@dataclass(frozen=True)
class IngredientDose:
    """One ingredient of a product; ``concentration_mg_per_ml`` ``None`` = not recorded."""

    code: str
    name: str
    allergen_families: frozenset[str] = frozenset()
    concentration_mg_per_ml: Decimal | None = None


@dataclass(frozen=True)
class ProductFacts:
    """A catalog product.

    ``incompatible_with`` holds **ingredient codes**: the product must not share a
    syringe with any other product containing one of them (e.g. phosphatidylcholine
    products list ``"lidocaine"``). Ingredient codes keep the rule brand-independent.
    """

    id: str
    name: str
    ingredients: tuple[IngredientDose, ...] = ()
    is_lipolytic: bool = False
    contains_epinephrine: bool = False
    incompatible_with: frozenset[str] = frozenset()
    min_interval_days: int | None = None
    min_interval_months: int | None = None
    compounded: bool = False
    max_ml_per_session: Decimal | None = None

    @property
    def ingredient_codes(self) -> frozenset[str]:
        return frozenset(norm(i.code) for i in self.ingredients)

    def ingredient(self, code: str) -> IngredientDose | None:
        return next((i for i in self.ingredients if norm(i.code) == code), None)

    @property
    def has_epinephrine(self) -> bool:
        return self.contains_epinephrine or "epinephrine" in self.ingredient_codes

    def in_family(self, family: str) -> bool:
        """Whether an ingredient belongs to ``family`` (an allergen family or drug class)."""
        return any(family in {norm(f) for f in i.allergen_families} for i in self.ingredients)


@dataclass(frozen=True)
class LotFacts:
    id: str
    lot_number: str
    expiry: date
    recalled: bool = False


@dataclass(frozen=True)
class PlannedItem:
    """One product to inject. Items sharing a ``syringe`` number form one cocktail."""

    product: ProductFacts
    lot: LotFacts | None
    volume_ml: Decimal
    points: int | None = None
    syringe: int | None = None
    body_area: str | None = None

    def __post_init__(self) -> None:
        if not self.volume_ml >= 0:
            raise ValueError(f"volume_ml must be non-negative, got {self.volume_ml}")
        if self.points is not None and self.points <= 0:
            raise ValueError(f"points must be positive, got {self.points}")


@dataclass(frozen=True)
class PreviousSession:
    """A session already given. ``ingredient_codes`` (optional) lets ingredient-level
    rules (deoxycholic acid) recognise other brands of the same drug."""

    on: date
    protocol_id: str | None = None
    product_ids: frozenset[str] = frozenset()
    body_areas: frozenset[str] = frozenset()
    ingredient_codes: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Treatment:
    """``severity_scale``/``severity_total``: the baseline assessment the plan treats
    (e.g. ``"cr-smfrs"`` grade 3), when known."""

    protocol_id: str | None = None
    protocol_name: str | None = None
    protocol_min_interval_days: int | None = None
    protocol_min_interval_months: int | None = None
    indication: str | None = None
    consent_version_required: str | None = None
    items: tuple[PlannedItem, ...] = ()
    body_areas: frozenset[str] = frozenset()
    severity_scale: str | None = None
    severity_total: Decimal | None = None

    def areas_for(self, item: PlannedItem) -> frozenset[str]:
        """Areas an item is injected into: its own, else the treatment's."""
        if item.body_area is not None:
            return frozenset({norm(item.body_area)})
        return frozenset(norm(a) for a in self.body_areas)

    @property
    def all_areas(self) -> frozenset[str]:
        areas = {norm(a) for a in self.body_areas}
        for item in self.items:
            areas |= self.areas_for(item)
        return frozenset(areas)

    @property
    def products(self) -> tuple[ProductFacts, ...]:
        """Distinct planned products, ordered by name then id (input order ignored)."""
        unique = {item.product for item in self.items}
        return tuple(sorted(unique, key=lambda p: (p.name, p.id)))


@dataclass(frozen=True)
class Check:
    """Everything the engine looks at. ``on`` is the local treatment date."""

    patient: PatientFacts
    treatment: Treatment
    previous_sessions: tuple[PreviousSession, ...]
    moment: Moment
    on: date

    @property
    def age(self) -> int:
        return age_in_years(self.patient.birth_date, self.on)

    @property
    def past_sessions(self) -> tuple[PreviousSession, ...]:
        """Previous sessions on or before the treatment date, newest first."""
        kept = (s for s in self.previous_sessions if s.on <= self.on)
        return tuple(sorted(kept, key=lambda s: s.on, reverse=True))
