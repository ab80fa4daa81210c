"""/portal/api/: the signed-in patient's own record only; problem+json for bad input; data rights
(export as JSON and PDF, erasure request as a clinic task) through the API and the pages."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesocare.audit.models import AuditEvent
from mesocare.notify.models import Alert
from mesocare.patients.models import Consent
from mesocare.portal import accounts
from tests.factories import portal_client

SIGNATURE = "data:image/png;base64," + "iVBORw0KGgo" * 20
API = "/portal/api"


signed_in_client = portal_client


@pytest.fixture
def two(make: Any) -> dict[str, Any]:
    anna = make.patient(email="anna@example.org")
    bruno = make.patient(given_name="Bruno", family_name="Verdi", email="bruno@example.org")
    plan = make.plan(anna, sessions=5)
    make.session(plan=plan, index=1, signed_at=timezone.now() - dt.timedelta(days=20))
    make.appointment(patient=anna, plan=plan, index=2)
    make.appointment(patient=bruno, start=timezone.now() + dt.timedelta(days=4))
    Consent.objects.create(
        organization=bruno.organization,
        patient=bruno,
        kind="general",
        version="2026-1",
        signed_on=timezone.localdate(),
    )
    return {
        "anna": anna,
        "bruno": bruno,
        "anna_client": signed_in_client(accounts.ensure_account(anna)),
    }


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    return body


def test_without_a_portal_session_every_operation_is_401(db: Any, clinic: Any) -> None:
    client = Client()
    for path in ("/me", "/appointments", "/course", "/consents", "/record"):
        problem(client.get(API + path), 401)
    problem(client.post(API + "/erasure-request", {}, content_type="application/json"), 401)
    # A staff session is not a portal session.
    staff = Client()
    staff.force_login(clinic.user("admin"))
    problem(staff.get(API + "/me"), 401)


def test_me_and_appointments_are_the_patients_own(
    two: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = two["anna_client"]
    me = client.get(API + "/me").json()
    assert me["name"] == "Anna Bianchi"
    assert me["records"] == [
        {"patient_id": two["anna"].pk, "name": "Anna Bianchi", "relation": "self"}
    ]
    with django_assert_max_num_queries(12):
        response = client.get(API + "/appointments")
    body = response.json()
    assert len(body["upcoming"]) == 1 and body["upcoming"][0]["session_index"] == 2
    assert body["upcoming"][0]["starts_at"].endswith(("+01:00", "+02:00", "Z", "+00:00"))


def test_course_counts_done_and_remaining(
    two: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    with django_assert_max_num_queries(12):
        [course] = two["anna_client"].get(API + "/course").json()
    assert course["sessions_planned"] == 5
    assert course["sessions_done"] == 1
    assert course["sessions_remaining"] == 4
    assert course["sessions_booked"] == 1
    assert course["pre_care"] and course["aftercare"]


def test_consents_sign_and_list(two: dict[str, Any]) -> None:
    client = two["anna_client"]
    before = client.get(API + "/consents").json()
    assert before["signed"] == []  # Bruno's consent is not listed
    assert "treatment" in before["to_sign"]
    response = client.post(
        API + "/consents",
        {"kind": "treatment", "signature": SIGNATURE},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["kind"] == "treatment"
    assert Consent.objects.filter(patient=two["anna"], kind="treatment").count() == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "guardian", "signature": SIGNATURE}, "kind"),
        ({"kind": "general", "signature": "not a drawing"}, "signature"),
        ({"kind": "general", "signature": "x" * 200_002}, "signature"),
        ({"kind": "general"}, "signature"),
        ({"kind": "general", "signature": SIGNATURE + "\x00"}, None),
    ],
)
def test_bad_consent_input_is_problem_json_and_changes_nothing(
    two: dict[str, Any], body: dict[str, Any], field: str | None
) -> None:
    response = two["anna_client"].post(API + "/consents", body, content_type="application/json")
    result = problem(response, response.status_code)
    assert 400 <= response.status_code < 500
    if field:
        assert any(e["field"].endswith(field) for e in result.get("errors", [])), result
    assert not Consent.objects.filter(patient=two["anna"]).exists()


def test_non_object_and_malformed_bodies_are_refused(two: dict[str, Any]) -> None:
    client = two["anna_client"]
    for raw in ("[1, 2]", "{not json", '"text"'):
        response = client.post(API + "/consents", raw, content_type="application/json")
        assert 400 <= response.status_code < 500
        assert response["Content-Type"].startswith("application/problem+json")
    assert not Consent.objects.filter(patient=two["anna"]).exists()


def test_writes_need_the_csrf_token(two: dict[str, Any]) -> None:
    account = accounts.ensure_account(two["anna"])
    client = signed_in_client(account, enforce_csrf_checks=True)
    response = client.post(
        API + "/consents",
        {"kind": "general", "signature": SIGNATURE},
        content_type="application/json",
    )
    assert response.status_code == 403
    assert not Consent.objects.filter(patient=two["anna"]).exists()


def test_export_is_own_record_and_audited(two: dict[str, Any]) -> None:
    data = two["anna_client"].get(API + "/record").json()
    assert data["patient"]["family_name"] == "Bianchi"
    assert data["format"] == "mesocare.patient-record"
    assert "Bruno" not in json.dumps(data)
    assert len(data["treatment_sessions"]) == 1
    assert "law requires" in data["retention"]
    assert AuditEvent.objects.filter(action="export", patient_id=two["anna"].pk).exists()


def test_erasure_request_creates_one_clinic_task_a_day(two: dict[str, Any]) -> None:
    client = two["anna_client"]
    for _ in range(2):
        response = client.post(
            API + "/erasure-request", {"reason": "moving abroad"}, content_type="application/json"
        )
        assert response.status_code == 202
        assert "law requires" in response.json()["retention"]
    alert = Alert.objects.get(kind="data_request")
    assert alert.patient_id == two["anna"].pk
    assert "moving abroad" in alert.message
    too_long = client.post(
        API + "/erasure-request", {"reason": "x" * 2001}, content_type="application/json"
    )
    problem(too_long, 422)


def test_data_page_downloads_pdf_and_json_and_sends_the_request(two: dict[str, Any]) -> None:
    client = two["anna_client"]
    page = client.get(reverse("portal:data"))
    assert page.status_code == 200 and "law requires" in page.content.decode()
    pdf = client.get(reverse("portal:record_pdf"))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    as_json = client.get(reverse("portal:record_json"))
    assert json.loads(as_json.content)["patient"]["given_name"] == "Anna"
    sent = client.post(reverse("portal:data"), {"reason": ""})
    assert "was sent to the clinic" in sent.content.decode()
    assert Alert.objects.filter(kind="data_request", patient_id=two["anna"].pk).exists()


def test_openapi_document_lists_only_portal_operations(db: Any) -> None:
    document = Client().get(API + "/openapi.json").json()
    paths = set(document["paths"])
    assert "/portal/api/me" in paths
    assert not any("patient_id" in p or "{" in p for p in paths)
