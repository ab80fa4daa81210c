"""Encounter: a treatment visit (one per charted session, signed or still open)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.charting.models import TreatmentSession
from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import coding, compact, ref, when
from mesocare.fhir.search import date_filter, token_filter

ACT_CODE = "http://terminology.hl7.org/CodeSystem/v3-ActCode"
STATUS_FILTER = {"finished": Q(signed_at__isnull=False), "in-progress": Q(signed_at__isnull=True)}


COLUMNS = (
    "signed_at",
    "patient_id",
    "practitioner_id",
    "appointment_id",
    "started_at",
    "location_id",
    "organization_id",
)


def build(session: Any, ctx: MappingContext) -> dict[str, Any]:
    """``session``: a row of COLUMNS (see `mesocare.fhir.registry`)."""
    return compact(
        {
            "status": "finished" if session.signed_at else "in-progress",
            "class": coding(ACT_CODE, "AMB", "ambulatory"),
            "subject": ref("Patient", session.patient_id),
            "participant": [{"individual": ref("Practitioner", session.practitioner_id)}],
            "appointment": [ref("Appointment", session.appointment_id)]
            if session.appointment_id
            else [],
            "period": compact({"start": when(session.started_at), "end": when(session.signed_at)}),
            "location": [{"location": ref("Location", session.location_id)}],
            "serviceProvider": ref("Organization", session.organization_id),
        }
    )


def sql(ctx: MappingContext) -> str:
    """`build` in PostgreSQL (see `mesocare.fhir.sqljson`)."""

    def c(name: str) -> str:
        return q.col("charting_treatmentsession", name)

    return q.resource(
        "Encounter",
        c("id"),
        {
            "status": f"CASE WHEN {c('signed_at')} IS NOT NULL THEN '\"finished\"' "
            "ELSE '\"in-progress\"' END",
            "class": q.const(coding(ACT_CODE, "AMB", "ambulatory")),
            "subject": q.ref("Patient", c("patient_id")),
            "participant": q.arr(
                q.obj({"individual": q.Json(q.ref("Practitioner", c("practitioner_id")))})
            ),
            "appointment": q.when(
                f"{c('appointment_id')} IS NOT NULL",
                q.arr(q.ref("Appointment", c("appointment_id"))),
            ),
            "period": q.obj(
                {
                    "start": q.Json(q.instant(c("started_at"))),
                    "end": q.instant(c("signed_at")),
                }
            ),
            "location": q.arr(q.obj({"location": q.Json(q.ref("Location", c("location_id")))})),
            "serviceProvider": q.ref("Organization", c("organization_id")),
        },
    )


ENCOUNTER = register(
    ResourceType(
        name="Encounter",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                TreatmentSession,
                build,
                last_updated="updated_at",
                columns=COLUMNS,
                sql=sql,
                filters={
                    "date": date_filter("started_at"),
                    "status": token_filter(STATUS_FILTER),
                },
            ),
        ),
        params=(
            SearchParam("date", "date", "When the visit started."),
            SearchParam("status", "token", "finished | in-progress"),
        ),
    )
)
