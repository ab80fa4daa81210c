"""A patient's scored severity assessments. Immutable: a correction is a new assessment."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from mesocare.api.access import requires
from mesocare.api.assessments_schemas import AssessmentIn, AssessmentOut
from mesocare.api.auth import actor_of
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.assessments import services
from mesocare.assessments.models import Assessment
from mesocare.clinics.permissions import Perm
from mesocare.patients.services.registry import get_patient

router = Router(tags=["assessments"])


class AssessmentQuery(Schema):
    scale: str | None = Field(None, max_length=32)


def user_ref(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {"id": user.pk, "name": getattr(user, "full_name", "") or user.email}


def assessment_out(a: Assessment) -> dict[str, Any]:
    return {
        "id": a.pk,
        "patient": a.patient_id,
        "scale": a.scale_id,
        "scale_version": a.scale_version,
        "items": a.items,
        "total": a.total,
        "band": a.band or None,
        "body_area": a.body_area,
        "assessed_at": a.assessed_at,
        "assessed_by": user_ref(a.assessed_by),
        "plan": a.plan_id,
        "session_index": a.session_index,
        "notes": a.notes,
        "created_at": a.created_at,
    }


@router.get(
    "/patients/{patient_id}/assessments",
    response={200: list[AssessmentOut], **PROBLEM_RESPONSES},
)
@requires(Perm.CLINICAL_VIEW)
def list_assessments(
    request: HttpRequest, patient_id: int, params: Query[AssessmentQuery]
) -> list[dict[str, Any]]:
    actor = actor_of(request)
    patient = get_patient(actor, patient_id)
    return [
        assessment_out(a) for a in services.list_assessments(actor, patient, scale_id=params.scale)
    ]


@router.post(
    "/patients/{patient_id}/assessments",
    response={201: AssessmentOut, **PROBLEM_RESPONSES},
    summary="Score and store an assessment (who and when are recorded)",
)
@requires(Perm.CLINICAL_EDIT)
def add_assessment(
    request: HttpRequest, patient_id: int, payload: AssessmentIn
) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    patient = get_patient(actor, patient_id)
    assessment = services.record_assessment(
        actor,
        patient,
        scale_id=payload.scale,
        items=payload.items,
        assessed_at=payload.assessed_at,
        body_area=payload.body_area,
        notes=payload.notes,
    )
    return Status(201, assessment_out(assessment))


@router.get("/assessments/{assessment_id}", response={200: AssessmentOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def get_assessment(request: HttpRequest, assessment_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    assessment = services.get_assessment(actor, assessment_id)
    get_patient(actor, assessment.patient_id)  # the audited read of the patient's record
    return assessment_out(assessment)
