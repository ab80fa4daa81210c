"""AllergyIntolerance: the patient's allergies (substance, reaction, severity), and a patient's
recorded "no known allergies" as the SNOMED CT code 716186003 |No known allergy| (the way
the International Patient Summary records an absent allergy history; ids ``nka-<patient>``)."""

from __future__ import annotations

from typing import Any

from django.db.models import F, Q, QuerySet
from django.db.models.functions import Coalesce

from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
from mesocare.fhir.definitions import CS_ALLERGEN_FAMILY, CS_INGREDIENT
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import (
    SNOMED,
    compact,
    practitioner_ref,
    ref,
    status_concept,
    when,
)
from mesocare.fhir.search import local_code_filter, split_token, token_filter
from mesocare.patients.choices import AllergyStatus
from mesocare.patients.models import Allergy, Patient

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


COLUMNS = (
    "ingredient__code",
    "ingredient__name",
    "allergen_family__code",
    "allergen_family__name",
    "reaction",
    "severity",
    "is_active",
    "substance",
    "patient_id",
    "recorded_at",
    "recorded_by_id",
)


def build(allergy: Any, ctx: MappingContext) -> dict[str, Any]:
    """``allergy``: a row of COLUMNS (see `mesocare.fhir.registry`)."""
    codings = []
    if allergy.ingredient__code is not None:
        codings.append(
            {
                "system": ctx.canonical(f"CodeSystem/{CS_INGREDIENT}"),
                "code": allergy.ingredient__code,
                "display": allergy.ingredient__name,
            }
        )
    if allergy.allergen_family__code is not None:
        codings.append(
            {
                "system": ctx.canonical(f"CodeSystem/{CS_ALLERGEN_FAMILY}"),
                "code": allergy.allergen_family__code,
                "display": allergy.allergen_family__name,
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


def _status_sql(code: str, system: str = CLINICAL) -> str:
    """``status_concept`` of a SQL text code."""
    return q.obj({"coding": q.arr(q.obj({"system": q.const(system), "code": q.string(code)}))})


def sql(ctx: MappingContext) -> str:
    """`build` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("patients_allergy", name)

    def coding(fk: str, cs: str) -> str:
        table = Allergy._meta.get_field(fk).related_model._meta.db_table  # type: ignore[union-attr]
        built = q.obj(
            {
                "system": q.const(ctx.canonical(f"CodeSystem/{cs}")),
                "code": q.string("x.code"),
                "display": q.string("x.name"),
            }
        )
        return q.Json(f'(SELECT {built} FROM "{table}" x WHERE x.id = {c(fk + "_id")})')

    codings = q.some(
        (f"{c('ingredient_id')} IS NOT NULL", coding("ingredient", CS_INGREDIENT)),
        (f"{c('allergen_family_id')} IS NOT NULL", coding("allergen_family", CS_ALLERGEN_FAMILY)),
    )
    active = q.const(status_concept(CLINICAL, "active"))
    inactive = q.const(status_concept(CLINICAL, "inactive"))
    return q.resource(
        "AllergyIntolerance",
        c("id"),
        {
            "clinicalStatus": f"CASE WHEN {c('is_active')} THEN {active} ELSE {inactive} END",
            "type": q.const("allergy"),
            "criticality": q.string(
                f"COALESCE({q.lookup(CRITICALITY, c('severity'))}, 'unable-to-assess')"
            ),
            "code": q.when(
                f"{c('ingredient_id')} IS NOT NULL OR {c('allergen_family_id')} IS NOT NULL "
                f"OR {c('substance')} <> ''",
                q.obj({"coding": codings, "text": q.text(c("substance"))}),
            ),
            "patient": q.ref("Patient", c("patient_id")),
            "recordedDate": q.instant(c("recorded_at")),
            "recorder": q.practitioner(ctx.membership_by_user, c("recorded_by_id")),
            "reaction": q.when(
                f"{c('reaction')} <> ''",
                q.arr(
                    q.obj(
                        {
                            "manifestation": q.arr(q.obj({"text": q.string(c("reaction"))})),
                            "severity": q.string(q.lookup(REACTION_SEVERITY, c("severity"))),
                        }
                    )
                ),
            ),
        },
    )


NO_KNOWN_ALLERGY = ("716186003", "No known allergy")
VERIFICATION = "http://terminology.hl7.org/CodeSystem/allergyintolerance-verification"


def build_no_known_allergy(patient: Patient, ctx: MappingContext) -> dict[str, Any]:
    code, display = NO_KNOWN_ALLERGY
    return compact(
        {
            "clinicalStatus": status_concept(CLINICAL, "active"),
            "verificationStatus": status_concept(VERIFICATION, "confirmed"),
            "code": {
                "coding": [{"system": SNOMED, "code": code, "display": display}],
                "text": display,
            },
            "patient": ref("Patient", patient.pk),
            "recordedDate": when(patient.allergy_status_at),
            "recorder": practitioner_ref(ctx, patient.allergy_status_by_id),
            # Reported by the patient (online booking) rather than asked by staff.
            "asserter": ref("Patient", patient.pk)
            if patient.allergy_status_patient_reported
            else None,
        }
    )


def sql_no_known_allergy(ctx: MappingContext) -> str:
    """`build_no_known_allergy` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("patients_patient", name)

    code, display = NO_KNOWN_ALLERGY
    return q.resource(
        "AllergyIntolerance",
        f"'nka-' || {c('id')}",
        {
            "clinicalStatus": q.const(status_concept(CLINICAL, "active")),
            "verificationStatus": q.const(status_concept(VERIFICATION, "confirmed")),
            "code": q.const(
                {"coding": [{"system": SNOMED, "code": code, "display": display}], "text": display}
            ),
            "patient": q.ref("Patient", c("id")),
            "recordedDate": q.instant(c("allergy_status_at")),
            "recorder": q.practitioner(ctx.membership_by_user, c("allergy_status_by_id")),
            "asserter": q.when(c("allergy_status_patient_reported"), q.ref("Patient", c("id"))),
        },
    )


def _no_known_allergies(qs: QuerySet[Patient], ctx: MappingContext) -> QuerySet[Patient]:
    return qs.filter(allergy_status=AllergyStatus.NO_KNOWN_ALLERGIES)


def _nka_code(raw: str) -> Q:
    system, code = split_token(raw)
    matches = code == NO_KNOWN_ALLERGY[0] and system in (None, SNOMED)
    return Q() if matches else Q(pk__in=[])


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
                columns=COLUMNS,
                sql=sql,
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
            Source(
                Patient,
                build_no_known_allergy,
                id_prefix="nka",
                patient_path="pk",
                last_updated="nka_recorded",
                annotations={"nka_recorded": Coalesce(F("allergy_status_at"), F("updated_at"))},
                scope=_no_known_allergies,
                sql=sql_no_known_allergy,
                filters={
                    "clinical-status": token_filter(
                        {"active": Q(), "inactive": Q(pk__in=[])}, system=CLINICAL
                    ),
                    "code": _nka_code,
                },
            ),
        ),
        params=(
            SearchParam("clinical-status", "token", "active | inactive"),
            SearchParam(
                "code",
                "token",
                "The substance (ingredient code), or http://snomed.info/sct|716186003 for "
                "patients recorded with no known allergies.",
            ),
        ),
    )
)
