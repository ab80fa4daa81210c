"""Build the pure engine's facts (``mesocare.core.safety``) from database rows.

Identifiers in facts are strings: ``ProductFacts.id`` is ``str(Product.pk)``,
``LotFacts.id`` is ``str(lot.pk)``, a protocol is ``str(Protocol.pk)``. Callers that pass
``PreviousSession`` objects (charting) must use the same ids.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal
from types import MappingProxyType
from typing import Any, Protocol, cast

from django.db.models import Prefetch

from mesocare.catalog.models import Ingredient, Product, ProductIngredient
from mesocare.core.safety import (
    Allergy,
    ConditionFact,
    ConsentFact,
    IngredientDose,
    LotFacts,
    PatientFacts,
    ProductFacts,
)
from mesocare.core.safety.facts import norm
from mesocare.lib.text import normalize_search
from mesocare.patients.matching import match_substance
from mesocare.patients.models import Patient

_SEXES = {"female", "male", "intersex", "unknown"}
_PREGNANCY = {"pregnant", "not_pregnant", "unknown"}
_POTENTIAL = {"yes", "no", "unknown"}
_REASONS = {"postmenopausal", "hysterectomy", "other"}


class LotLike(Protocol):
    """What the engine needs of an inventory lot (``inventory.ProductLot`` or a stand-in)."""

    pk: Any
    lot_number: str
    expiry: dt.date
    recalled: bool


def allergy_terms(
    substance: str, ingredient: Ingredient | None, family_code: str | None
) -> frozenset[str]:
    """Codes an allergy matches: its ingredient and that ingredient's allergen families,
    its allergen family, and the substance text itself (normalised), so an allergy the
    catalog could not classify still matches an ingredient of the same name."""
    terms: set[str] = set()
    if ingredient is not None:
        terms.add(ingredient.code)
        terms |= {f.code for f in ingredient.allergen_families.all()}
    if family_code:
        terms.add(family_code)
    text = normalize_search(substance)
    if text:
        terms.add(norm(text))
    return frozenset(norm(t) for t in terms)


def patient_facts(patient: Patient, on: dt.date) -> PatientFacts:
    """The patient as the engine sees them on the local date ``on``: active allergies,
    medication classes and conditions, every consent (withdrawn on or before ``on`` counts
    as withdrawn) and the latest weight measured on or before ``on``."""
    allergies = []
    allergy_rows = (
        patient.allergies.filter(is_active=True)
        .select_related("ingredient", "allergen_family")
        .prefetch_related("ingredient__allergen_families")
        .order_by("substance", "id")
    )
    for row in allergy_rows:
        ingredient, family = row.ingredient, row.allergen_family
        if ingredient is None and family is None:
            # Recorded before the catalog knew the name: match it again now.
            ingredient, family = match_substance(row.substance)
        family_code = family.code if family is not None else None
        allergies.append(
            Allergy(allergy_terms(row.substance, ingredient, family_code), row.substance)
        )
    weight = patient.weights.filter(measured_on__lte=on).order_by("-measured_on", "-id").first()
    conditions = tuple(
        ConditionFact(code=c.code, body_area=c.body_area or None)
        for c in patient.conditions.filter(is_active=True).order_by("code", "id")
    )
    consents = tuple(
        ConsentFact(
            kind=c.kind,  # type: ignore[arg-type]
            version=c.version,
            signed_on=c.signed_on,
            indication=c.indication or None,
            withdrawn=c.withdrawn_on is not None and c.withdrawn_on <= on,
        )
        for c in patient.consents.order_by("signed_on", "id")
    )
    classes = frozenset(
        patient.medications.filter(is_active=True).values_list("drug_class", flat=True)
    )
    status = patient.pregnancy_status or None
    return PatientFacts(
        birth_date=patient.birth_date,
        sex_at_birth=cast(
            Any, patient.sex_at_birth if patient.sex_at_birth in _SEXES else "unknown"
        ),
        pregnancy_status=cast(Any, status if status in _PREGNANCY else None),
        pregnancy_status_on=patient.pregnancy_status_on,
        breastfeeding=patient.breastfeeding,
        weight_kg=Decimal(weight.kg) if weight is not None else None,
        weight_on=weight.measured_on if weight is not None else None,
        allergies=tuple(allergies),
        allergy_status=cast(Any, patient.allergy_status),
        medication_classes=classes,
        conditions=conditions,
        consents=consents,
        childbearing_potential=cast(
            Any,
            patient.childbearing_potential
            if patient.childbearing_potential in _POTENTIAL
            else None,
        ),
        childbearing_potential_reason=cast(
            Any,
            patient.childbearing_potential_reason
            if patient.childbearing_potential_reason in _REASONS
            else None,
        ),
        reliable_contraception=patient.reliable_contraception,
        reliable_contraception_on=patient.reliable_contraception_on,
    )


def product_queryset() -> Any:
    """Products with everything :func:`product_facts` reads, in a fixed number of queries."""
    components = ProductIngredient.objects.select_related("ingredient").prefetch_related(
        "ingredient__allergen_families"
    )
    return Product.objects.prefetch_related(
        Prefetch("components", queryset=components),
        Prefetch(
            "incompatible_with",
            queryset=Product.objects.prefetch_related(
                Prefetch(
                    "components", queryset=ProductIngredient.objects.select_related("ingredient")
                )
            ),
        ),
    )


def product_facts(product: Product) -> ProductFacts:
    """A catalog product as engine facts.

    The catalog marks incompatibility between *products*; the engine compares
    *ingredient codes* (brand-independent). So ``incompatible_with`` becomes every
    ingredient code of every product this one must not share a syringe with.
    Lipolytic: the product's flag or any lipolytic ingredient.
    """
    components = list(product.components.all())
    ingredients = tuple(
        IngredientDose(
            code=c.ingredient.code,
            name=c.ingredient.name,
            allergen_families=frozenset(f.code for f in c.ingredient.allergen_families.all()),
            concentration_mg_per_ml=c.mg_per_ml,
        )
        for c in components
    )
    incompatible = frozenset(
        c.ingredient.code
        for other in product.incompatible_with.all()
        for c in other.components.all()
    )
    return ProductFacts(
        id=str(product.pk),
        name=product.name,
        ingredients=ingredients,
        is_lipolytic=product.lipolytic or any(c.ingredient.lipolytic for c in components),
        contains_epinephrine=product.contains_epinephrine,
        incompatible_with=incompatible,
        min_interval_days=product.min_interval_days,
        min_interval_months=product.min_interval_months,
        compounded=product.compounded,
        max_ml_per_session=product.max_volume_ml_per_session,
    )


def lot_facts(lot: LotLike) -> LotFacts:
    """Any object with ``pk``, ``lot_number``, ``expiry`` (date) and ``recalled``."""
    return LotFacts(
        id=str(lot.pk),
        lot_number=str(lot.lot_number),
        expiry=lot.expiry,
        recalled=bool(lot.recalled),
    )


def to_json(value: Any) -> Any:
    """Engine values as JSON: dataclasses → dicts, Decimal → str, dates → ISO,
    sets → sorted lists. Used for the stored request snapshot and findings."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, (dict, MappingProxyType)):
        return {str(k): to_json(v) for k, v in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted((to_json(v) for v in value), key=str)
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return value
