"""Condition: the medical-history flags of a patient (keloids, autoimmune disease, …)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
from mesocare.fhir.definitions import CS_CONDITION
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, practitioner_ref, ref, status_concept, when
from mesocare.fhir.search import local_code_filter, token_filter
from mesocare.patients.models import Condition

CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
CATEGORY = "http://terminology.hl7.org/CodeSystem/condition-category"
CLINICAL_STATUS = {"active": Q(is_active=True), "inactive": Q(is_active=False)}


COLUMNS = ("code", "is_active", "body_area", "patient_id", "recorded_at", "recorded_by_id", "note")


def build(condition: Any, ctx: MappingContext) -> dict[str, Any]:
    """``condition``: a row of COLUMNS (see `mesocare.fhir.registry`)."""
    label = ctx.label(Condition, "code", condition.code)
    return compact(
        {
            "clinicalStatus": status_concept(
                CLINICAL, "active" if condition.is_active else "inactive"
            ),
            "category": [
                {
                    "coding": [
                        {
                            "system": CATEGORY,
                            "code": "problem-list-item",
                            "display": "Problem List Item",
                        }
                    ]
                }
            ],
            "code": {
                "coding": [
                    {
                        "system": ctx.canonical(f"CodeSystem/{CS_CONDITION}"),
                        "code": condition.code,
                        "display": label,
                    }
                ],
                "text": label,
            },
            "bodySite": [{"text": condition.body_area}] if condition.body_area else [],
            "subject": ref("Patient", condition.patient_id),
            "recordedDate": when(condition.recorded_at),
            "recorder": practitioner_ref(ctx, condition.recorded_by_id),
            "note": [{"text": condition.note}] if condition.note else [],
        }
    )


def sql(ctx: MappingContext) -> str:
    """`build` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("patients_condition", name)

    label = q.string(q.label(ctx.labels(Condition, "code"), c("code")))
    category = {"system": CATEGORY, "code": "problem-list-item", "display": "Problem List Item"}
    return q.resource(
        "Condition",
        c("id"),
        {
            "clinicalStatus": _status(c("is_active")),
            "category": q.const([{"coding": [category]}]),
            "code": q.obj(
                {
                    "coding": q.arr(
                        q.obj(
                            {
                                "system": q.const(ctx.canonical(f"CodeSystem/{CS_CONDITION}")),
                                "code": q.string(c("code")),
                                "display": label,
                            }
                        )
                    ),
                    "text": label,
                }
            ),
            "bodySite": q.when(
                f"{c('body_area')} <> ''", q.arr(q.obj({"text": q.string(c("body_area"))}))
            ),
            "subject": q.ref("Patient", c("patient_id")),
            "recordedDate": q.instant(c("recorded_at")),
            "recorder": q.practitioner(ctx.membership_by_user, c("recorded_by_id")),
            "note": q.when(f"{c('note')} <> ''", q.arr(q.obj({"text": q.string(c("note"))}))),
        },
    )


def _status(active: str) -> str:
    return (
        f"CASE WHEN {active} THEN {q.const(status_concept(CLINICAL, 'active'))} "
        f"ELSE {q.const(status_concept(CLINICAL, 'inactive'))} END"
    )


CONDITION = register(
    ResourceType(
        name="Condition",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                Condition,
                build,
                last_updated="recorded_at",
                columns=COLUMNS,
                sql=sql,
                filters={
                    "clinical-status": token_filter(CLINICAL_STATUS, system=CLINICAL),
                    "code": local_code_filter({CS_CONDITION: "code"}),
                },
            ),
        ),
        params=(
            SearchParam("clinical-status", "token", "active | inactive"),
            SearchParam("code", "token", "The condition (code system condition)."),
        ),
    )
)
