"""MedicationAdministration: one per product injected in a signed session (a syringe
component): the lot (Medication), the zone, the route, the dose in mL and in mg of each
ingredient, as part of the session's Procedure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q

from mesocare.catalog.models import ProductIngredient, Zone
from mesocare.charting.models import CocktailComponent, InjectionRecord, TreatmentSession
from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
from mesocare.fhir.definitions import CS_PRODUCT, CS_TECHNIQUE, CS_ZONE
from mesocare.fhir.registry import (
    Include,
    MappingContext,
    ResourceType,
    SearchParam,
    Source,
    register,
)
from mesocare.fhir.resources.common import SNOMED, UCUM, compact, number, quantity, ref, when
from mesocare.fhir.resources.medication import GTIN
from mesocare.fhir.search import date_filter, local_code_filter, reference_filter, token_filter
from mesocare.inventory.models import ProductLot

# SNOMED CT routes: 372464004 |Intradermal route|, 34206005 |Subcutaneous route|.
INTRADERMAL = ("372464004", "Intradermal route")
SUBCUTANEOUS = ("34206005", "Subcutaneous route")
# The dermis is at most about 4 mm deep; deeper injections reach the subcutis.
INTRADERMAL_MAX_DEPTH_MM = Decimal(4)


def route_of(depth_mm: Decimal) -> tuple[str, str]:
    return INTRADERMAL if depth_mm <= INTRADERMAL_MAX_DEPTH_MM else SUBCUTANEOUS


def product_strengths(ctx: MappingContext) -> dict[int, list[tuple[str, Decimal]]]:
    """product pk → (ingredient name, mg per mL) of each ingredient whose strength is known in
    mg/mL, for the products of the organization's lots (one query per context)."""

    def load() -> dict[int, list[tuple[str, Decimal]]]:
        products = ProductLot.objects.for_org(ctx.org_id).values("product_id")
        found: dict[int, list[tuple[str, Decimal]]] = {}
        rows = ProductIngredient.objects.filter(product_id__in=products).select_related(
            "ingredient"
        )
        for component in rows.order_by("id"):
            found.setdefault(component.product_id, [])
            if component.mg_per_ml is not None:
                found[component.product_id].append((component.ingredient.name, component.mg_per_ml))
        return found

    return ctx.cached("product-strengths", load)  # type: ignore[no-any-return]


def doses_mg(strengths: list[tuple[str, Decimal]], volume_ml: Decimal) -> list[tuple[str, Decimal]]:
    """(ingredient name, mg) for each ingredient whose strength is known in mg/mL."""
    return [
        (name, (mg_per_ml * volume_ml).quantize(Decimal("0.001"))) for name, mg_per_ml in strengths
    ]


COLUMNS = (
    "injection__session_id",
    "injection__session__patient_id",
    "injection__session__practitioner_id",
    "injection__depth_mm",
    "injection__zone_id",
    "injection__zone__name",
    "injection__technique",
    "injection__created_at",
    "volume_ml",
    "lot_id",
    "lot__product_id",
)


def build(component: Any, ctx: MappingContext) -> dict[str, Any]:
    """``component``: a row of COLUMNS (see `mesocare.fhir.registry`)."""
    session_id = component.injection__session_id
    depth = component.injection__depth_mm
    zone_name = component.injection__zone__name
    code, display = route_of(depth)
    mg = doses_mg(product_strengths(ctx).get(component.lot__product_id, []), component.volume_ml)
    text = f"{number(component.volume_ml)} mL"
    if mg:
        text += " (" + ", ".join(f"{name} {number(value)} mg" for name, value in mg) + ")"
    technique = ctx.label(InjectionRecord, "technique", component.injection__technique)
    text += f", {technique}, {number(depth)} mm, {zone_name}"
    return compact(
        {
            "partOf": [ref("Procedure", session_id)],
            "status": "completed",
            "medicationReference": ref("Medication", component.lot_id),
            "subject": ref("Patient", component.injection__session__patient_id),
            "context": ref("Encounter", session_id),
            "effectiveDateTime": when(component.injection__created_at),
            "performer": [
                {"actor": ref("Practitioner", component.injection__session__practitioner_id)}
            ],
            "dosage": {
                "text": text,
                "site": {
                    "coding": [
                        {
                            "system": ctx.canonical(f"CodeSystem/{CS_ZONE}"),
                            "code": component.injection__zone_id,
                            "display": zone_name,
                        }
                    ],
                    "text": zone_name,
                },
                "route": {
                    "coding": [{"system": SNOMED, "code": code, "display": display}],
                    "text": display,
                },
                "method": {
                    "coding": [
                        {
                            "system": ctx.canonical(f"CodeSystem/{CS_TECHNIQUE}"),
                            "code": component.injection__technique,
                            "display": technique,
                        }
                    ],
                    "text": technique,
                },
                "dose": quantity(component.volume_ml, "mL"),
            },
        }
    )


def _milligrams(value: str) -> str:
    """`doses_mg` in SQL: ``value`` (mg, not negative) quantized to 0.001 half to even, as
    ``Decimal.quantize`` rounds, written as `number` writes it."""
    return q.number(
        f"CASE WHEN mod({value} * 1000, 2) = 0.5 THEN trunc({value}, 3) ELSE round({value}, 3) END"
    )


def _doses_text(ctx: MappingContext, product_id: str, volume: str) -> str:
    """`` (<ingredient> <mg> mg, …)`` of the product's strengths (empty when it has none), as
    the inside of a JSON string."""
    cases = []
    for product, strengths in product_strengths(ctx).items():
        if not strengths:
            continue
        doses = " || ', ' || ".join(
            f"{q.sql_text(q.inner(name) + ' ')} || "
            f"{_milligrams(f'{volume} * {q.sql_text(str(mg_per_ml))}::numeric')} || ' mg'"
            for name, mg_per_ml in strengths
        )
        cases.append(f"WHEN {int(product)} THEN ' (' || {doses} || ')'")
    if not cases:
        return "''"
    return f"COALESCE(CASE {product_id} {' '.join(cases)} END, '')"


def _concept(system: str, code: Any, display: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code, "display": display}], "text": display}


def sql(ctx: MappingContext) -> str:
    """`build` in PostgreSQL (see `mesocare.fhir.sqljson`). Zones, techniques and routes are JSON
    built once per export and looked up. The injection and its session are the very joins of
    the rows' query (``_signed``: Django names a table's first join after the table), so each is
    read once a row; the lot's product is read by its key."""
    component = CocktailComponent._meta.db_table
    i = f'"{InjectionRecord._meta.db_table}"'
    s = f'"{TreatmentSession._meta.db_table}"'
    volume = q.col(component, "volume_ml")
    product = (
        f'(SELECT l.product_id FROM "{ProductLot._meta.db_table}" l '
        f"WHERE l.id = {q.col(component, 'lot_id')})"
    )
    zones = dict(Zone.objects.values_list("code", "name"))
    zone_system = ctx.canonical(f"CodeSystem/{CS_ZONE}")
    sites = {code: _concept(zone_system, code, name) for code, name in zones.items()}
    labels = ctx.labels(InjectionRecord, "technique")
    technique_system = ctx.canonical(f"CodeSystem/{CS_TECHNIQUE}")
    methods = {code: _concept(technique_system, code, label) for code, label in labels.items()}
    unlabelled = q.obj(
        {
            "coding": q.arr(
                q.obj(
                    {
                        "system": q.const(technique_system),
                        "code": q.Json(q.string(f"{i}.technique")),
                        "display": q.Json(q.string(f"{i}.technique")),
                    }
                )
            ),
            "text": q.Json(q.string(f"{i}.technique")),
        }
    )
    method = f"COALESCE({q.lookup_json(methods, f'{i}.technique')}, {unlabelled})"
    technique_text = (
        f"COALESCE({q.lookup({k: q.inner(v) for k, v in labels.items()}, f'{i}.technique')}, "
        f"left(substr(to_json({i}.technique::text)::text, 2), -1))"
    )
    intradermal = f"{i}.depth_mm <= {INTRADERMAL_MAX_DEPTH_MM}"
    route = (
        f"CASE WHEN {intradermal} THEN {q.const(_concept(SNOMED, *INTRADERMAL))} "
        f"ELSE {q.const(_concept(SNOMED, *SUBCUTANEOUS))} END"
    )
    text = (
        f"""'"' || {q.number(volume)} || ' mL' || {_doses_text(ctx, product, volume)} """
        f"|| ', ' || {technique_text} || ', ' || {q.number(f'{i}.depth_mm')} || ' mm, ' || "
        f"""{q.lookup({k: q.inner(v) for k, v in zones.items()}, f"{i}.zone_code")} || '"'"""
    )
    return q.resource(
        "MedicationAdministration",
        q.col(component, "id"),
        {
            "partOf": q.arr(q.Json(q.ref("Procedure", f"{s}.id"))),
            "status": q.const("completed"),
            "medicationReference": q.ref("Medication", q.col(component, "lot_id")),
            "subject": q.ref("Patient", f"{s}.patient_id"),
            "context": q.ref("Encounter", f"{s}.id"),
            "effectiveDateTime": q.instant(f"{i}.created_at"),
            "performer": q.arr(
                q.obj({"actor": q.Json(q.ref("Practitioner", f"{s}.practitioner_id"))})
            ),
            "dosage": q.obj(
                {
                    "text": q.Json(f"({text})"),
                    "site": q.Json(q.lookup_json(sites, f"{i}.zone_code")),
                    "route": q.Json(f"({route})"),
                    "method": q.Json(method),
                    "dose": q.obj(
                        {
                            "value": q.Json(q.number(volume)),
                            "unit": q.const("mL"),
                            "system": q.const(UCUM),
                            "code": q.const("mL"),
                        }
                    ),
                }
            ),
        },
    )


def _signed(qs: Any, ctx: MappingContext) -> Any:
    return qs.filter(injection__session__signed_at__isnull=False)


def _medication_ids(component: CocktailComponent) -> list[str]:
    return [str(component.lot_id)]


MEDICATION_ADMINISTRATION = register(
    ResourceType(
        name="MedicationAdministration",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                CocktailComponent,
                build,
                last_updated="injection__session__signed_at",
                patient_path="injection__session__patient",
                scope=_signed,
                select=("injection__session", "injection__zone", "lot__product"),
                prefetch=(
                    Prefetch(
                        "lot__product__components",
                        queryset=ProductIngredient.objects.select_related("ingredient"),
                    ),
                ),
                columns=COLUMNS,
                sql=sql,
                filters={
                    "effective-time": date_filter("injection__created_at"),
                    "status": token_filter({"completed": Q()}),
                    "medication": reference_filter("lot_id", "Medication"),
                    "code": local_code_filter(
                        {CS_PRODUCT: "lot__product__code"}, {GTIN: "lot__gtin"}
                    ),
                },
            ),
        ),
        params=(
            SearchParam("effective-time", "date", "When the injection was given."),
            SearchParam("status", "token", "completed (only signed sessions are served)"),
            SearchParam("medication", "reference", "The lot given (Medication/<id>)."),
            SearchParam("code", "token", "The product (product code or GTIN)."),
        ),
        includes=(Include("medication", "Medication", _medication_ids),),
    )
)
