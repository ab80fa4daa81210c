"""The FHIR R4 HTTP interface: ``metadata``, read, search and the definitions this server
publishes. Every answer is ``application/fhir+json``; every refusal an OperationOutcome."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.http import http_date
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record, record_list_read, record_refused
from mesocare.clinics.actor import Actor
from mesocare.errors import DomainError
from mesocare.fhir import search
from mesocare.fhir.auth import fhir_actor
from mesocare.fhir.capability import capability_statement
from mesocare.fhir.definitions import definition
from mesocare.fhir.outcome import FHIR_JSON, FhirError, operation_outcome
from mesocare.fhir.registry import (
    FHIR_BASE_PATH,
    MappingContext,
    ResourceType,
    Source,
    get_type,
)

CHANNEL = "fhir"
_JSON_FORMATS = {"json", FHIR_JSON, "application/json", "application/json+fhir"}


def _content_type(request: HttpRequest) -> str:
    """The answer's media type from ``_format`` (or Accept); 406 for anything but JSON."""
    fmt = request.GET.get("_format")
    if fmt is not None:
        fmt = fmt.strip().replace(" ", "+")
        if fmt not in _JSON_FORMATS:
            raise FhirError(406, _("Only JSON is supported (_format=json)."))
        return "application/json" if fmt == "application/json" else FHIR_JSON
    accept = request.headers.get("Accept", "")
    if accept and "json" not in accept and "*/*" not in accept and "application/*" not in accept:
        raise FhirError(406, _("Only JSON is supported (Accept: application/fhir+json)."))
    return FHIR_JSON


def _respond(
    request: HttpRequest,
    body: dict[str, Any],
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    try:
        content_type = _content_type(request)
    except FhirError:
        content_type = FHIR_JSON
    response = HttpResponse(
        json.dumps(body, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type=f"{content_type}; charset=utf-8",
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _outcome(request: HttpRequest, exc: FhirError) -> HttpResponse:
    headers = {"WWW-Authenticate": 'Bearer realm="fhir"'} if exc.status == 401 else {}
    return _respond(
        request,
        operation_outcome(exc.status, exc.diagnostics, exc.code),
        exc.status,
        headers=headers,
    )


def fhir_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """GET only; FhirError and domain errors become OperationOutcomes."""

    @csrf_exempt
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if request.method not in ("GET", "HEAD"):
                raise FhirError(405, _("This endpoint is read-only (GET)."))
            _content_type(request)
            return view(request, *args, **kwargs)
        except FhirError as exc:
            return _outcome(request, exc)
        except DomainError as exc:
            return _outcome(request, FhirError(exc.status, exc.message))

    return wrapped


def _context(request: HttpRequest, actor: Actor) -> MappingContext:
    return MappingContext(org_id=actor.org_id, base_url=base_url(request))


def base_url(request: HttpRequest) -> str:
    """The server's FHIR base: from SITE_URL (never the request's Host header), so that links
    and canonical URLs are the same in every answer and in exports."""
    return f"{settings.SITE_URL}{FHIR_BASE_PATH}"


def _type_for(actor: Actor, type_name: str) -> ResourceType:
    rtype = get_type(type_name)
    if rtype is None:
        raise FhirError(
            404,
            _("This server does not serve %(type)s.") % {"type": type_name},
            code="not-supported",
        )
    if not actor.can(rtype.perm):
        if rtype.patient_data:
            record_refused(actor, object_type=f"fhir.{type_name}", channel=CHANNEL)
        raise FhirError(
            403,
            _("Your role (%(role)s) may not read %(type)s.")
            % {"role": actor.role, "type": type_name},
        )
    return rtype


@fhir_view
def metadata(request: HttpRequest) -> HttpResponse:
    return _respond(request, capability_statement(base_url(request)))


@fhir_view
def structure_definition(request: HttpRequest, fhir_id: str) -> HttpResponse:
    found = definition("StructureDefinition", fhir_id, base_url(request))
    if found is None:
        raise FhirError(404, _("No StructureDefinition with id %(id)s.") % {"id": fhir_id})
    return _respond(request, found)


@fhir_view
def code_system(request: HttpRequest, fhir_id: str) -> HttpResponse:
    found = definition("CodeSystem", fhir_id, base_url(request))
    if found is None:
        raise FhirError(404, _("No CodeSystem with id %(id)s.") % {"id": fhir_id})
    return _respond(request, found)


@fhir_view
def read(request: HttpRequest, type_name: str, fhir_id: str) -> HttpResponse:
    actor = fhir_actor(request)
    rtype = _type_for(actor, type_name)
    ctx = _context(request, actor)
    located = rtype.source_of(fhir_id)
    obj = None
    if located is not None:
        source, pk = located
        obj = source.queryset(ctx).filter(pk=pk).first()
    if obj is None or located is None:
        if rtype.patient_data:
            record_refused(
                actor, object_type=f"fhir.{type_name}", object_id=fhir_id, channel=CHANNEL
            )
        raise FhirError(404, _("No %(type)s with id %(id)s.") % {"type": type_name, "id": fhir_id})
    resource = source.to_fhir(obj, ctx)
    record(
        actor,
        AuditAction.READ,
        obj,
        object_type=f"fhir.{type_name}",
        patient_id=source.patient_pk(obj),
        summary=f"FHIR read {type_name}/{fhir_id}",
        channel=CHANNEL,
    )
    etag = f'W/"{resource["meta"]["versionId"]}"'
    headers = {"ETag": etag, "Last-Modified": http_date(_timestamp(resource))}
    if _matches(request.headers.get("If-None-Match", ""), resource["meta"]["versionId"]):
        response = HttpResponse(status=304)
        response["ETag"] = etag
        return response
    return _respond(request, resource, headers=headers)


def _matches(if_none_match: str, version: str) -> bool:
    """Weak comparison (RFC 9110 §13.1.2): ``W/"v"`` and ``"v"`` both match version v."""
    tags = [tag.strip() for tag in if_none_match.split(",") if tag.strip()]
    return "*" in tags or any(tag.removeprefix("W/").strip('"') == version for tag in tags)


def _timestamp(resource: dict[str, Any]) -> float:
    from django.utils.dateparse import parse_datetime

    parsed = parse_datetime(resource["meta"]["lastUpdated"])
    return parsed.timestamp() if parsed is not None else 0.0


@fhir_view
def search_type(request: HttpRequest, type_name: str) -> HttpResponse:
    actor = fhir_actor(request)
    rtype = _type_for(actor, type_name)
    ctx = _context(request, actor)
    parsed = search.parse(rtype, request.GET)
    for include in parsed.includes:
        target = get_type(
            next(i.target for i in rtype.includes if f"{type_name}:{i.param}" == include)
        )
        if target is not None:
            _type_for(actor, target.name)
    page = search.run(rtype, parsed, ctx)
    base = ctx.base_url
    links = [{"relation": "self", "url": search.page_url(base, type_name, request.GET)}]
    if page.next_cursor is not None:
        links.append(
            {
                "relation": "next",
                "url": search.page_url(base, type_name, request.GET, page.next_cursor),
            }
        )
    entries = []
    for mode, rows in (("match", page.rows), ("include", page.included)):
        for resource in _render(rows, ctx):
            entries.append(
                {
                    "fullUrl": f"{base}/{resource['resourceType']}/{resource['id']}",
                    "resource": resource,
                    "search": {"mode": mode},
                }
            )
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": page.total,
        "link": links,
        "entry": entries,
    }
    record_list_read(
        actor,
        f"fhir.{type_name}",
        search.patient_ids_of(page.rows + page.included),
        patient_id=search.filtered_patient(parsed),
        summary=f"FHIR search {type_name}: {len(page.rows)} of {page.total}",
        channel=CHANNEL,
    )
    return _respond(request, bundle)


def _render(rows: list[tuple[Source, Any]], ctx: MappingContext) -> list[dict[str, Any]]:
    """The resources of a page's rows, in order: one `Source.render` (one query on the fast
    path) per source instead of one per row."""
    groups: dict[int, tuple[Source, list[Any]]] = {}
    for source, obj in rows:
        groups.setdefault(id(source), (source, []))[1].append(obj)
    rendered: dict[tuple[int, Any], dict[str, Any]] = {}
    for source, objs in groups.values():
        for obj, resource in zip(objs, source.render(objs, ctx), strict=True):
            rendered[(id(source), obj.pk)] = resource
    return [rendered[(id(source), obj.pk)] for source, obj in rows]


@fhir_view
def not_found(request: HttpRequest, rest: str) -> HttpResponse:
    raise FhirError(404, _("Nothing is served at %(path)s.") % {"path": f"{FHIR_BASE_PATH}/{rest}"})
