"""Unsafe requests without valid credentials are 401 with `WWW-Authenticate: Bearer` (a browser
session without its CSRF token is still refused as CSRF), and responses that may carry patient
data tell every cache not to keep them."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

UNSAFE = [
    ("post", "patients"),
    ("patch", "patients/1"),
    ("put", "staff/1/working-hours"),
    ("delete", "blocks/1"),
]


def _call(client: Client, method: str, path: str, **headers: Any) -> Any:
    return getattr(client, method)(
        f"/api/v1/{path}", data="{}", content_type="application/json", **headers
    )


@pytest.mark.parametrize(("method", "path"), UNSAFE)
@pytest.mark.parametrize("authorization", [None, "Bearer not-a-real-token", "Basic eDp5"])
def test_unsafe_request_without_valid_token_is_401_not_csrf_403(
    clinic: Any, method: str, path: str, authorization: str | None
) -> None:
    headers = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    response = _call(Client(enforce_csrf_checks=True), method, path, **headers)
    assert response.status_code == 401, response.content
    assert response["WWW-Authenticate"] == "Bearer"
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 401


def test_browser_session_without_csrf_token_is_still_refused_as_csrf(clinic: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(clinic.user("reception"))
    response = _call(client, "post", "patients")
    assert response.status_code == 403
    assert "CSRF" in response.json()["detail"]


def test_api_answers_to_a_token_are_not_stored(clinic: Any) -> None:
    api = clinic.api("practitioner")
    for response in (
        api.get(f"patients/{clinic.patient.id}"),
        api.get("patients"),
        api.get("patients/999999"),
        api.post("patients", {"given_name": ""}),
    ):
        assert response["Cache-Control"] == "no-store"


def test_staff_pages_and_portal_pages_are_not_stored(clinic: Any) -> None:
    client = Client()
    client.force_login(clinic.user("practitioner"))
    assert client.get(f"/patients/{clinic.patient.id}")["Cache-Control"] == "no-store"
    assert Client().get("/p/pre-care/not-a-valid-link")["Cache-Control"] == "no-store"


def test_anonymous_public_responses_keep_their_caching(clinic: Any) -> None:
    assert "no-store" not in Client().get("/api/v1/openapi.json").get("Cache-Control", "")
