"""HTTP side of the Bulk Data export: kick-off (``$export`` at system, Patient and Group
level), the status URL (poll, cancel) and the ndjson files, all with the same bearer token."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import FileResponse, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.fhir.auth import fhir_actor
from mesocare.fhir.bulk import export
from mesocare.fhir.bulk.models import ExportJob, ExportStatus
from mesocare.fhir.bulk.tasks import run_export
from mesocare.fhir.outcome import FHIR_JSON, FhirError, operation_outcome
from mesocare.fhir.registry import FHIR_BASE_PATH

RETRY_AFTER_SECONDS = 2


def _json(body: dict[str, Any], status: int, content_type: str = FHIR_JSON) -> HttpResponse:
    return HttpResponse(
        json.dumps(body, separators=(",", ":")),
        status=status,
        content_type=f"{content_type}; charset=utf-8",
    )


def bulk_view(
    *methods: str,
) -> Callable[[Callable[..., HttpResponseBase]], Callable[..., HttpResponseBase]]:
    def decorate(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
        @csrf_exempt
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                if request.method not in methods:
                    raise FhirError(405, _("Method not allowed here."))
                return view(request, fhir_actor(request), *args, **kwargs)
            except FhirError as exc:
                response = _json(
                    operation_outcome(exc.status, exc.diagnostics, exc.code), exc.status
                )
                if exc.status == 401:
                    response["WWW-Authenticate"] = 'Bearer realm="fhir"'
                if exc.status == 429:
                    response["Retry-After"] = "60"
                return response

        return wrapped

    return decorate


def base_url(request: HttpRequest) -> str:
    """From SITE_URL, never the request's Host header (the manifest is fetched later)."""
    return f"{settings.SITE_URL}{FHIR_BASE_PATH}"


def _kick_off(
    request: HttpRequest, actor: Actor, level: str, group_id: str | None = None
) -> HttpResponse:
    params = {key: request.GET.get(key, "") for key in request.GET}
    query = request.META.get("QUERY_STRING", "")
    request_url = f"{base_url(request)}{request.path[len(FHIR_BASE_PATH) :]}" + (
        f"?{query}" if query else ""
    )
    job = export.kick_off(
        actor,
        level=level,
        params=params,
        request_url=request_url,
        prefer=request.headers.get("Prefer", ""),
        group_id=group_id,
    )
    run_export.enqueue(str(job.id))
    response = HttpResponse(status=202)
    response["Content-Location"] = f"{base_url(request)}/bulk-status/{job.id}"
    return response


@bulk_view("GET")
def system_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _kick_off(request, actor, "system")


@bulk_view("GET")
def patient_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _kick_off(request, actor, "patient")


@bulk_view("GET")
def group_export(request: HttpRequest, actor: Actor, group_id: str) -> HttpResponse:
    return _kick_off(request, actor, "group", group_id)


def _job(actor: Actor, job_id: str) -> ExportJob:
    job = ExportJob.objects.for_org(actor.org_id).filter(pk=job_id).first()
    if job is None or job.status == ExportStatus.CANCELLED:
        raise FhirError(404, _("No export with this id (it may have been cancelled or expired)."))
    return job


@bulk_view("GET", "DELETE")
def export_status(request: HttpRequest, actor: Actor, job_id: str) -> HttpResponse:
    job = _job(actor, job_id)
    if request.method == "DELETE":
        export.cancel(actor, job)
        return HttpResponse(status=202)
    if job.status in export.ACTIVE:
        response = HttpResponse(status=202)
        response["X-Progress"] = job.progress or _("waiting to start")
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
    if job.status == ExportStatus.FAILED:
        raise FhirError(500, _("The export failed: %s") % job.progress)
    response = _json(export.manifest(job, base_url(request)), 200, "application/json")
    if job.expires_at is not None:
        response["Expires"] = http_date(job.expires_at.timestamp())
    return response


@bulk_view("GET")
def export_file(request: HttpRequest, actor: Actor, job_id: str, name: str) -> HttpResponseBase:
    job = _job(actor, job_id)
    if job.membership_id != actor.membership.pk:  # the same token (client) that asked
        raise FhirError(404, _("No export with this id (it may have been cancelled or expired)."))
    files = {f["file"] for f in [*job.output, *job.errors]}
    if job.status != ExportStatus.COMPLETED or name not in files:
        raise FhirError(404, _("No such file in this export."))
    path = export.job_dir(job) / name
    if not path.is_file():
        raise FhirError(404, _("The file was removed after its retention period."))
    record(
        actor,
        AuditAction.EXPORT,
        job,
        summary=f"FHIR bulk export file {name} downloaded",
        channel="fhir",
    )
    return FileResponse(path.open("rb"), content_type="application/fhir+ndjson")
