"""Measurements, private photos, plan progress and outcome reports over the API."""

from __future__ import annotations

from typing import Any

from django.http import FileResponse, HttpRequest
from django.urls import reverse
from ninja import File, Form, Query, Router, Status
from ninja.files import UploadedFile

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.outcomes_schemas import (
    MeasurementIn,
    MeasurementOut,
    OutcomesReportOut,
    PhotoOut,
    ProgressOut,
    ReportQuery,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.clinics.permissions import Perm
from mesocare.errors import Invalid
from mesocare.outcomes import progress, reports, services
from mesocare.outcomes.imaging import MAX_BYTES
from mesocare.outcomes.models import Photo
from mesocare.patients.services.registry import get_patient

router = Router(tags=["outcomes"])


def photo_out(photo: Photo) -> dict[str, Any]:
    url = reverse("api:photo_file", kwargs={"photo_id": photo.pk})
    return {
        **{f: getattr(photo, f) for f in PhotoOut.model_fields if hasattr(photo, f)},
        "file_url": url,
        "thumbnail_url": f"{url}?thumbnail=true",
    }


@router.post(
    "/patients/{patient_id}/measurements", response={201: MeasurementOut, **PROBLEM_RESPONSES}
)
@requires(Perm.CLINICAL_EDIT)
def add_measurement(request: HttpRequest, patient_id: int, payload: MeasurementIn) -> Any:
    actor = actor_of(request)
    patient = get_patient(actor, patient_id)
    data = payload.dict()
    return Status(
        201,
        services.add_measurement(
            actor,
            patient,
            kind=data["kind"],
            value=data["value"],
            measured_on=data["measured_on"],
            landmark=data["landmark"] or "",
            distance_cm=data["distance_cm"],
            session_id=data["session"],
            notes=data["notes"],
        ),
    )


@router.get(
    "/patients/{patient_id}/measurements", response={200: list[MeasurementOut], **PROBLEM_RESPONSES}
)
@requires(Perm.CLINICAL_VIEW)
def list_measurements(request: HttpRequest, patient_id: int) -> Any:
    actor = actor_of(request)
    return services.list_measurements(actor, get_patient(actor, patient_id))


@router.post("/patients/{patient_id}/photos", response={201: PhotoOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_EDIT)
def upload_photo(
    request: HttpRequest,
    patient_id: int,
    file: File[UploadedFile],
    body_zone: Form[str],
    view: Form[str],
    session: Form[int | None] = None,
) -> Any:
    actor = actor_of(request)
    patient = get_patient(actor, patient_id)
    if file.size is not None and file.size > MAX_BYTES:
        raise Invalid.field("file", "The photo is larger than 15 MB.", code="too_large")
    photo = services.upload_photo(
        actor, patient, file.read(), body_zone=body_zone, view=view, session_id=session
    )
    return Status(201, photo_out(photo))


@router.get("/patients/{patient_id}/photos", response={200: list[PhotoOut], **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def list_photos(
    request: HttpRequest, patient_id: int, body_zone: str = "", view: str = ""
) -> list[dict[str, Any]]:
    actor = actor_of(request)
    patient = get_patient(actor, patient_id)
    photos = services.list_photos(actor, patient, body_zone=body_zone, view=view)
    return [photo_out(p) for p in photos]


@router.get(
    "/photos/{photo_id}/file",
    response={200: None, **PROBLEM_RESPONSES},
    url_name="photo_file",
    summary="The photo's image (authenticated; every read is audited)",
)
@requires(Perm.CLINICAL_VIEW)
def photo_file(request: HttpRequest, photo_id: int, thumbnail: bool = False) -> FileResponse:
    photo, handle = services.open_photo(actor_of(request), photo_id, thumbnail=thumbnail)
    content_type = "image/jpeg" if thumbnail else photo.content_type
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.get("/plans/{plan_id}/progress", response={200: ProgressOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def plan_progress(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    return progress.plan_progress(actor_of(request), plan_id)


@router.get("/reports/outcomes", response={200: OutcomesReportOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def outcomes_report(request: HttpRequest, params: Query[ReportQuery]) -> dict[str, Any]:
    rows = reports.outcomes_report(
        actor_of(request), protocol_id=params.protocol, date_from=params.from_, date_to=params.to
    )
    return {
        "date_from": params.from_,
        "date_to": params.to,
        "protocols": [r.as_dict() for r in rows],
    }
