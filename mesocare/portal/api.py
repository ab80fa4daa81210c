"""The portal's own API, `/portal/api/`: for the patient signed in to the portal, about that
patient only. Authentication is the portal session cookie (CSRF-checked on writes); there is
no id of a patient anywhere in these paths, so another patient's data cannot be named. Errors
are RFC 9457 problem+json, as in the staff API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from ninja.security import APIKeyCookie
from pydantic import Field

from mesocare.api import errors
from mesocare.api.inputs import JsonObjectParser, reject_unstorable_values
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.clinics.middleware import client_ip
from mesocare.portal import record
from mesocare.portal.session import PortalSession, current_portal_session


class PortalSessionAuth(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> PortalSession | None:
        return current_portal_session(request)


portal_api = NinjaAPI(
    title="mesocare patient portal API",
    version="1",
    description=(
        "The signed-in patient's own record. Sign in at /p/sign-in first; the session cookie "
        "authenticates, and writes need the CSRF token (X-CSRFToken header)."
    ),
    auth=[PortalSessionAuth()],
    urls_namespace="portal_api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=JsonObjectParser(),
)
errors.install(portal_api)
portal_api.add_decorator(reject_unstorable_values)


def _session(request: HttpRequest) -> PortalSession:
    session: PortalSession = request.auth  # type: ignore[attr-defined]
    return session


class RecordAccessOut(Schema):
    patient_id: int
    name: str
    relation: str


class MeOut(Schema):
    email: str
    clinic: str
    patient_id: int
    name: str
    records: list[RecordAccessOut]


class AppointmentOut(Schema):
    id: int
    starts_at: dt.datetime
    ends_at: dt.datetime
    location: str
    status: str
    session_index: int | None


class AppointmentsOut(Schema):
    upcoming: list[AppointmentOut]
    past: list[AppointmentOut]


class CourseOut(Schema):
    plan_id: int
    name: str
    status: str
    sessions_planned: int
    sessions_done: int
    sessions_remaining: int
    sessions_booked: int
    pre_care: list[str]
    aftercare: list[str]


class ConsentOut(Schema):
    id: int
    kind: str
    version: str
    signed_on: dt.date
    signed_by: str
    withdrawn_on: dt.date | None


class ConsentsOut(Schema):
    signed: list[ConsentOut]
    to_sign: list[str]


class ConsentIn(Schema):
    kind: str = Field(max_length=32)
    signature: str = Field(max_length=record.MAX_SIGNATURE_CHARS + 1)


class ErasureIn(Schema):
    reason: str = Field("", max_length=2000)


class ErasureOut(Schema):
    status: str
    retention: str


@portal_api.get("/me", response={200: MeOut, **PROBLEM_RESPONSES}, summary="Who is signed in")
def me(request: HttpRequest) -> Any:
    session = _session(request)
    return {
        "email": session.account.email,
        "clinic": session.organization.name,
        "patient_id": session.patient.pk,
        "name": session.patient.full_name,
        "records": [
            {"patient_id": a.patient_id, "name": a.patient.full_name, "relation": a.relation}
            for a in session.accesses
        ],
    }


@portal_api.get(
    "/appointments", response={200: AppointmentsOut, **PROBLEM_RESPONSES}, summary="Appointments"
)
def appointments(request: HttpRequest) -> Any:
    data = record.overview(_session(request), client_ip(request), channel="portal-api")
    return {"upcoming": data.upcoming, "past": data.past}


@portal_api.get("/course", response={200: list[CourseOut], **PROBLEM_RESPONSES}, summary="Course")
def course(request: HttpRequest) -> Any:
    data = record.overview(_session(request), client_ip(request), channel="portal-api")
    return [
        {
            "plan_id": c.plan_id,
            "name": c.name,
            "status": c.status_label,
            "sessions_planned": c.planned,
            "sessions_done": c.done,
            "sessions_remaining": c.remaining,
            "sessions_booked": c.booked,
            "pre_care": [i["text"] for i in (c.pre_care or {}).get("items", [])],
            "aftercare": [i["text"] for i in (c.aftercare or {}).get("items", [])],
        }
        for c in data.courses
    ]


@portal_api.get("/consents", response={200: ConsentsOut, **PROBLEM_RESPONSES}, summary="Consents")
def consents(request: HttpRequest) -> Any:
    data = record.overview(_session(request), client_ip(request), channel="portal-api")
    return {"signed": data.consents, "to_sign": [kind for kind, _v, _l in data.consents_to_sign]}


@portal_api.post(
    "/consents", response={201: ConsentOut, **PROBLEM_RESPONSES}, summary="Sign a consent"
)
def sign_consent(request: HttpRequest, body: ConsentIn) -> Any:
    consent = record.sign_consent(_session(request), body.kind, body.signature, client_ip(request))
    return 201, consent


@portal_api.get("/record", response={200: dict[str, Any], **PROBLEM_RESPONSES}, summary="Export")
def export(request: HttpRequest) -> Any:
    return record.export_record(_session(request), client_ip(request))


@portal_api.post(
    "/erasure-request", response={202: ErasureOut, **PROBLEM_RESPONSES}, summary="Ask for erasure"
)
def erasure_request(request: HttpRequest, body: ErasureIn) -> Any:
    record.request_erasure(_session(request), body.reason, client_ip(request))
    return 202, {"status": "requested", "retention": record.RETENTION_NOTE}
