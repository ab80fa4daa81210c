"""MedicationStatement: what the patient takes (with its drug class, which the safety checks
use)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
from mesocare.fhir.definitions import CS_DRUG_CLASS
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, ref, when
from mesocare.fhir.search import local_code_filter, token_filter
from mesocare.patients.models import Medication

STATUS_FILTER = {"active": Q(is_active=True), "stopped": Q(is_active=False)}


COLUMNS = ("is_active", "drug_class", "name", "patient_id", "recorded_at")


def build(medication: Any, ctx: MappingContext) -> dict[str, Any]:
    """``medication``: a row of COLUMNS (see `mesocare.fhir.registry`)."""
    return compact(
        {
            "status": "active" if medication.is_active else "stopped",
            "medicationCodeableConcept": {
                "coding": [
                    {
                        "system": ctx.canonical(f"CodeSystem/{CS_DRUG_CLASS}"),
                        "code": medication.drug_class,
                        "display": ctx.label(Medication, "drug_class", medication.drug_class),
                    }
                ],
                "text": medication.name,
            },
            "subject": ref("Patient", medication.patient_id),
            "dateAsserted": when(medication.recorded_at),
        }
    )


def sql(ctx: MappingContext) -> str:
    """`build` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("patients_medication", name)

    return q.resource(
        "MedicationStatement",
        c("id"),
        {
            "status": f"CASE WHEN {c('is_active')} THEN '\"active\"' ELSE '\"stopped\"' END",
            "medicationCodeableConcept": q.obj(
                {
                    "coding": q.arr(
                        q.obj(
                            {
                                "system": q.const(ctx.canonical(f"CodeSystem/{CS_DRUG_CLASS}")),
                                "code": q.string(c("drug_class")),
                                "display": q.string(
                                    q.label(ctx.labels(Medication, "drug_class"), c("drug_class"))
                                ),
                            }
                        )
                    ),
                    "text": q.string(c("name")),
                }
            ),
            "subject": q.ref("Patient", c("patient_id")),
            "dateAsserted": q.instant(c("recorded_at")),
        },
    )


MEDICATION_STATEMENT = register(
    ResourceType(
        name="MedicationStatement",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                Medication,
                build,
                last_updated="recorded_at",
                columns=COLUMNS,
                sql=sql,
                filters={
                    "status": token_filter(STATUS_FILTER),
                    "code": local_code_filter({CS_DRUG_CLASS: "drug_class"}),
                },
            ),
        ),
        params=(
            SearchParam("status", "token", "active | stopped"),
            SearchParam("code", "token", "The drug class (code system drug-class)."),
        ),
    )
)
