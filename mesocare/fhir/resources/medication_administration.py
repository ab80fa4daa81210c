"""MedicationAdministration: one per product injected in a signed session (a syringe
component): the lot (Medication), the zone, the route, the dose in mL and in mg of each
ingredient, as part of the session's Procedure."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q

from mesocare.catalog.models import ProductIngredient
from mesocare.charting.models import CocktailComponent
from mesocare.clinics.permissions import Perm
from mesocare.fhir.definitions import CS_PRODUCT, CS_TECHNIQUE, CS_ZONE
from mesocare.fhir.registry import (
    Include,
    MappingContext,
    ResourceType,
    SearchParam,
    Source,
    register,
)
from mesocare.fhir.resources.common import SNOMED, compact, number, quantity, ref, when
from mesocare.fhir.resources.medication import GTIN, ingredient_strengths
from mesocare.fhir.search import date_filter, local_code_filter, reference_filter, token_filter

# SNOMED CT routes: 372464004 |Intradermal route|, 34206005 |Subcutaneous route|.
INTRADERMAL = ("372464004", "Intradermal route")
SUBCUTANEOUS = ("34206005", "Subcutaneous route")
# The dermis is at most about 4 mm deep; deeper injections reach the subcutis.
INTRADERMAL_MAX_DEPTH_MM = Decimal(4)


def route_of(depth_mm: Decimal) -> tuple[str, str]:
    return INTRADERMAL if depth_mm <= INTRADERMAL_MAX_DEPTH_MM else SUBCUTANEOUS


def doses_mg(component: CocktailComponent) -> list[tuple[str, Decimal]]:
    """(ingredient name, mg) for each ingredient whose strength is known in mg/mL."""
    return [
        (c.ingredient.name, (mg_per_ml * component.volume_ml).quantize(Decimal("0.001")))
        for c, mg_per_ml in ingredient_strengths(component.lot)
        if mg_per_ml is not None
    ]


def build(component: CocktailComponent, ctx: MappingContext) -> dict[str, Any]:
    injection = component.injection
    session = injection.session
    code, display = route_of(injection.depth_mm)
    mg = doses_mg(component)
    text = f"{number(component.volume_ml)} mL"
    if mg:
        text += " (" + ", ".join(f"{name} {number(value)} mg" for name, value in mg) + ")"
    technique = injection.get_technique_display()
    text += f", {technique}, {number(injection.depth_mm)} mm, {injection.zone.name}"
    return compact(
        {
            "partOf": [ref("Procedure", session.pk)],
            "status": "completed",
            "medicationReference": ref("Medication", component.lot_id),
            "subject": ref("Patient", session.patient_id),
            "context": ref("Encounter", session.pk),
            "effectiveDateTime": when(injection.created_at),
            "performer": [{"actor": ref("Practitioner", session.practitioner_id)}],
            "dosage": {
                "text": text,
                "site": {
                    "coding": [
                        {
                            "system": ctx.canonical(f"CodeSystem/{CS_ZONE}"),
                            "code": injection.zone_id,
                            "display": injection.zone.name,
                        }
                    ],
                    "text": injection.zone.name,
                },
                "route": {
                    "coding": [{"system": SNOMED, "code": code, "display": display}],
                    "text": display,
                },
                "method": {
                    "coding": [
                        {
                            "system": ctx.canonical(f"CodeSystem/{CS_TECHNIQUE}"),
                            "code": injection.technique,
                            "display": injection.get_technique_display(),
                        }
                    ],
                    "text": injection.get_technique_display(),
                },
                "dose": quantity(component.volume_ml, "mL"),
            },
        }
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
