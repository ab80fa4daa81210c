"""Account page: per-user language (English/Italian), API tokens shown once and revocable."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from mesocare.accounts.models import ApiToken
from mesocare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_italian_user_sees_the_interface_in_italian(web: Callable[[str], Any], clinic: Any) -> None:
    user = clinic.user("admin")
    user.language = "it"
    user.save()
    client = web("admin")
    html = client.get("/patients").content.decode()
    assert '<html lang="it">' in html
    assert "Pazienti" in html
    assert "Registra un paziente" in html
    assert "Esci" in html
    detail = client.get(f"/patients/{clinic.patient.pk}").content.decode()
    assert "Panoramica" in detail
    assert "Allergie" in detail


def test_switching_language_is_saved_on_the_user(web: Callable[[str], Any], clinic: Any) -> None:
    client = web("reception")
    response = client.post("/account/language", {"language": "it"}, follow=True)
    clinic.user("reception").refresh_from_db()
    assert clinic.user("reception").language == "it"
    assert "Lingua" in response.content.decode()
    client.post("/account/language", {"language": "en"})
    assert "Language" in client.get("/account").content.decode()


def test_unknown_language_is_refused_beside_the_field(web: Callable[[str], Any]) -> None:
    html = web("admin").post("/account/language", {"language": "xx"}).content.decode()
    assert 'id="id_language_error"' in html


def test_api_token_is_shown_once_works_and_can_be_revoked(
    web: Callable[[str], Any], clinic: Any
) -> None:
    client = web("practitioner")
    response = client.post("/account/tokens", {"name": "reporting"})
    html = response.content.decode()
    start = html.index('class="secret">') + len('class="secret">')
    raw = html[start : html.index("</code>", start)]
    assert raw.startswith("mc_")
    assert raw not in client.get("/account").content.decode()
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/v1/me", **bearer).status_code == 200
    token = ApiToken.objects.get(name="reporting")
    assert AuditEvent.objects.filter(action="create", object_type="accounts.apitoken").exists()
    assert "Revoke" in client.get(f"/account/tokens/{token.pk}/revoke").content.decode()
    client.post(f"/account/tokens/{token.pk}/revoke")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert Client().get("/api/v1/me", **bearer).status_code == 401


def test_a_token_of_someone_else_cannot_be_revoked(web: Callable[[str], Any], clinic: Any) -> None:
    token, _raw = ApiToken.issue(clinic.members["admin"], "admin's")
    response = web("practitioner").post(f"/account/tokens/{token.pk}/revoke")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_error_pages_are_rendered(web: Callable[[str], Any]) -> None:
    not_found = web("admin").get("/patients/999999")
    assert not_found.status_code == 404
    assert "Not found" in not_found.content.decode()
    forbidden = web("reception").get("/audit")
    assert forbidden.status_code == 403
    assert "Not allowed" in forbidden.content.decode()
