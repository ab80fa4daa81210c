"""Session arithmetic over rows already loaded: running totals (lidocaine, deoxycholic
acid, volume, points) with the patient's lidocaine limit, protocol ranges, and the
patient's previous sessions as safety-engine facts."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone

from mesocare.catalog.models import Product, ProductIngredient
from mesocare.charting.models import CocktailComponent, InjectionRecord, TreatmentSession
from mesocare.core.dosing import (
    LIDOCAINE_EPI_CAP_MG,
    LIDOCAINE_PLAIN_CAP_MG,
    lidocaine_max_mg,
    mg_from_ml,
)
from mesocare.core.safety import PreviousSession
from mesocare.core.safety.rules_dose import (
    DCA,
    DCA_MAX_MG,
    DCA_MAX_ML,
    LIDOCAINE,
    WEIGHT_MAX_AGE_DAYS,
)

ZERO = Decimal(0)


def session_date(session: TreatmentSession) -> dt.date:
    """The local date of the session at its location."""
    return timezone.localtime(session.started_at, session.location.tz).date()


def _ingredients(product: Product) -> dict[str, ProductIngredient]:
    return {c.ingredient.code: c for c in product.components.all()}


@dataclass(frozen=True)
class Totals:
    injections: int
    points: int
    total_volume_ml: Decimal
    lidocaine_mg: Decimal
    lidocaine_limit_mg: Decimal
    lidocaine_limit_basis: str
    lidocaine_with_epinephrine: bool
    deoxycholic_ml: Decimal
    deoxycholic_mg: Decimal
    deoxycholic_limit_mg: Decimal
    deoxycholic_limit_ml: Decimal
    weight_kg: Decimal | None

    @property
    def lidocaine_over(self) -> bool:
        return self.lidocaine_mg > self.lidocaine_limit_mg

    @property
    def lidocaine_share(self) -> int:
        """Percent of the limit used (for the gauge), capped at 100."""
        if not self.lidocaine_limit_mg:
            return 0
        return min(100, int(self.lidocaine_mg * 100 / self.lidocaine_limit_mg))

    @property
    def deoxycholic_share(self) -> int:
        return min(100, int(self.deoxycholic_mg * 100 / self.deoxycholic_limit_mg))


def running_totals(
    injections: Iterable[InjectionRecord],
    *,
    weight_kg: Decimal | None,
    weight_on: dt.date | None,
    on: dt.date,
) -> Totals:
    """Totals over injections whose components, lots, products and product ingredients are
    prefetched. The lidocaine limit mirrors the safety engine: plain limit unless every
    lidocaine product contains epinephrine; without a weight from the last 90 days, the
    absolute cap."""
    rows = list(injections)
    lido = dca_ml = dca_mg = ZERO
    epi: set[bool] = set()
    for injection in rows:
        for component in injection.components.all():
            product = component.lot.product
            ingredients = _ingredients(product)
            lidocaine = ingredients.get(LIDOCAINE)
            if lidocaine is not None and lidocaine.mg_per_ml is not None:
                lido += mg_from_ml(component.volume_ml, lidocaine.mg_per_ml)
                epi.add(product.contains_epinephrine or "epinephrine" in ingredients)
            deoxycholic = ingredients.get(DCA)
            if deoxycholic is not None:
                dca_ml += component.volume_ml
                if deoxycholic.mg_per_ml is not None:
                    dca_mg += mg_from_ml(component.volume_ml, deoxycholic.mg_per_ml)
    with_epi = epi == {True}
    recent = (
        weight_kg
        if weight_kg is not None
        and weight_on is not None
        and (on - weight_on).days <= WEIGHT_MAX_AGE_DAYS
        else None
    )
    if recent is not None:
        limit = lidocaine_max_mg(recent, with_epi)
        basis = f"{limit.per_kg} mg/kg × {recent} kg" + (
            f", capped at {limit.cap_mg} mg" if limit.capped else ""
        )
        max_mg = limit.max_mg
    else:
        max_mg = LIDOCAINE_EPI_CAP_MG if with_epi else LIDOCAINE_PLAIN_CAP_MG
        basis = f"absolute cap (no weight from the last {WEIGHT_MAX_AGE_DAYS} days)"
    return Totals(
        injections=len(rows),
        points=sum(i.points for i in rows),
        total_volume_ml=sum((i.total_volume_ml for i in rows), ZERO),
        lidocaine_mg=lido,
        lidocaine_limit_mg=max_mg,
        lidocaine_limit_basis=basis,
        lidocaine_with_epinephrine=with_epi,
        deoxycholic_ml=dca_ml,
        deoxycholic_mg=dca_mg,
        deoxycholic_limit_mg=DCA_MAX_MG,
        deoxycholic_limit_ml=DCA_MAX_ML,
        weight_kg=recent,
    )


def components_queryset() -> Any:
    """Components with what totals and safety read, in a fixed number of queries."""
    return CocktailComponent.objects.select_related("lot__product").prefetch_related(
        "lot__product__components__ingredient"
    )


def previous_sessions(session: TreatmentSession) -> list[PreviousSession]:
    """The patient's other sessions (with injections) as safety facts; two queries."""
    rows = (
        CocktailComponent.objects.filter(
            injection__session__patient_id=session.patient_id,
            injection__session__organization_id=session.organization_id,
        )
        .exclude(injection__session_id=session.pk)
        .values_list(
            "injection__session_id",
            "injection__session__started_at",
            "injection__session__protocol_id",
            "injection__zone_id",
            "lot__product_id",
        )
    )
    sessions: dict[int, dict[str, Any]] = {}
    for sid, started, protocol_id, zone, product_id in rows:
        entry = sessions.setdefault(
            sid, {"on": started, "protocol": protocol_id, "products": set(), "zones": set()}
        )
        entry["products"].add(product_id)
        entry["zones"].add(zone)
    product_ids = {p for e in sessions.values() for p in e["products"]}
    codes: dict[int, set[str]] = {}
    for product_id, code in ProductIngredient.objects.filter(
        product_id__in=product_ids
    ).values_list("product_id", "ingredient__code"):
        codes.setdefault(product_id, set()).add(code)
    tz = session.location.tz
    return [
        PreviousSession(
            on=timezone.localtime(e["on"], tz).date(),
            protocol_id=str(e["protocol"]) if e["protocol"] is not None else None,
            product_ids=frozenset(str(p) for p in e["products"]),
            body_areas=frozenset(e["zones"]),
            ingredient_codes=frozenset(c for p in e["products"] for c in codes.get(p, ())),
        )
        for e in sessions.values()
    ]


@dataclass(frozen=True)
class Ranges:
    technique: str
    depth_mm_min: Decimal
    depth_mm_max: Decimal
    volume_per_point_ml_min: Decimal
    volume_per_point_ml_max: Decimal
    volume_per_session_ml_min: Decimal
    volume_per_session_ml_max: Decimal


def protocol_ranges(session: TreatmentSession) -> Ranges | None:
    """The ranges of the protocol version the session was opened with (frozen snapshot),
    else of the protocol as it is now; None without a protocol."""
    source: dict[str, Any] | None = None
    if session.protocol_version is not None:
        source = session.protocol_version.snapshot
    elif session.protocol is not None:
        source = {k: getattr(session.protocol, k) for k in Ranges.__dataclass_fields__}
    if source is None:
        return None
    numbers = {k: Decimal(str(source[k])) for k in Ranges.__dataclass_fields__ if k != "technique"}
    return Ranges(technique=str(source["technique"]), **numbers)


def out_of_range(
    ranges: Ranges | None,
    *,
    technique: str,
    depth_mm: Decimal,
    volume_per_point_ml: Decimal,
    session_volume_ml: Decimal,
) -> list[dict[str, str]]:
    """Field errors for values outside the protocol's ranges (each needs a reason)."""
    if ranges is None:
        return []
    errors = []

    def outside(field: str, value: Decimal, low: Decimal, high: Decimal, unit: str) -> None:
        if not low <= value <= high:
            errors.append(
                {
                    "field": field,
                    "message": f"{value} {unit} is outside the protocol's {low}–{high} {unit}",
                }
            )

    if technique != ranges.technique:
        errors.append(
            {
                "field": "technique",
                "message": f"the protocol's technique is {ranges.technique}",
            }
        )
    outside("depth_mm", depth_mm, ranges.depth_mm_min, ranges.depth_mm_max, "mm")
    outside(
        "volume_per_point_ml",
        volume_per_point_ml,
        ranges.volume_per_point_ml_min,
        ranges.volume_per_point_ml_max,
        "mL",
    )
    if session_volume_ml > ranges.volume_per_session_ml_max:
        errors.append(
            {
                "field": "total_volume_ml",
                "message": f"the session total {session_volume_ml} mL exceeds the protocol's "
                f"{ranges.volume_per_session_ml_max} mL",
            }
        )
    return errors
