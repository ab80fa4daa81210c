"""AllergyIntolerance: the patient's allergies (substance, reaction, severity)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.clinics.permissions import Perm
from mesocare.fhir.definitions import CS_ALLERGEN_FAMILY, CS_INGREDIENT
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import (
    compact,
    practitioner_ref,
    ref,
    status_concept,
    when,
)
from mesocare.fhir.search import local_code_filter, token_filter
from mesocare.patients.models import Allergy

CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"
CLINICAL_STATUS = {"active": Q(is_active=True), "inactive": Q(is_active=False)}
# http://hl7.org/fhir/R4/valueset-allergy-intolerance-criticality.html
CRITICALITY = {
    "mild": "low",
    "moderate": "low",
    "severe": "high",
    "anaphylaxis": "high",
    "unknown": "unable-to-assess",
}
# http://hl7.org/fhir/R4/valueset-reaction-event-severity.html
REACTION_SEVERITY = {
    "mild": "mild",
    "moderate": "moderate",
    "severe": "severe",
    "anaphylaxis": "severe",
}


def build(allergy: Allergy, ctx: MappingContext) -> dict[str, Any]:
    codings = []
    if allergy.ingredient is not None:
        codings.append(
            {
                "system": ctx.canonical(f"CodeSystem/{CS_INGREDIENT}"),
                "code": allergy.ingredient.code,
                "display": allergy.ingredient.name,
            }
        )
    if allergy.allergen_family is not None:
        codings.append(
            {
                "system": ctx.canonical(f"CodeSystem/{CS_ALLERGEN_FAMILY}"),
                "code": allergy.allergen_family.code,
                "display": allergy.allergen_family.name,
            }
        )
    reaction: dict[str, Any] | None = None
    if allergy.reaction:
        reaction = {"manifestation": [{"text": allergy.reaction}]}
        if allergy.severity in REACTION_SEVERITY:
            reaction["severity"] = REACTION_SEVERITY[allergy.severity]
    return compact(
        {
            "clinicalStatus": status_concept(
                CLINICAL, "active" if allergy.is_active else "inactive"
            ),
            "type": "allergy",
            "criticality": CRITICALITY.get(allergy.severity, "unable-to-assess"),
            "code": compact({"coding": codings, "text": allergy.substance}),
            "patient": ref("Patient", allergy.patient_id),
            "recordedDate": when(allergy.recorded_at),
            "recorder": practitioner_ref(ctx, allergy.recorded_by_id),
            "reaction": [reaction] if reaction else [],
        }
    )


ALLERGY_INTOLERANCE = register(
    ResourceType(
        name="AllergyIntolerance",
        perm=Perm.ALLERGY_VIEW,
        sources=(
            Source(
                Allergy,
                build,
                last_updated="recorded_at",
                select=("ingredient", "allergen_family"),
                filters={
                    "clinical-status": token_filter(CLINICAL_STATUS, system=CLINICAL),
                    "code": local_code_filter(
                        {
                            CS_INGREDIENT: "ingredient__code",
                            CS_ALLERGEN_FAMILY: "allergen_family__code",
                        }
                    ),
                },
            ),
        ),
        params=(
            SearchParam("clinical-status", "token", "active | inactive"),
            SearchParam("code", "token", "The substance (ingredient code)."),
        ),
    )
)
