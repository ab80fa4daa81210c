"""The API and the second factor: a browser session signed in with the password only is refused
(401 problem+json) until it verifies, for every role and whether or not two-factor sign-in is
required; bearer tokens are unaffected."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesocare.accounts.models import ApiToken
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db

ROLES = ("admin", "practitioner", "reception", "auditor")
NEW_PATIENT = {
    "given_name": "Ada",
    "family_name": "Ferri",
    "birth_date": "1980-05-01",
    "sex_at_birth": "female",
}


def _code(device: TOTPDevice) -> str:
    return f"{TOTP(device.bin_key).token():06d}"


def _assert_second_factor_required(response: Any) -> None:
    assert response.status_code == 401, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response["WWW-Authenticate"] == "Bearer"
    body = response.json()
    assert body["status"] == 401 and body["code"] == "second_factor_required"


@pytest.mark.parametrize("required", [False, True], ids=["2fa-optional", "2fa-required"])
@pytest.mark.parametrize("role", ROLES)
def test_a_password_only_session_reads_and_writes_nothing_through_the_api(
    clinic: Any, settings: Any, role: str, required: bool
) -> None:
    settings.MESOCARE_REQUIRE_2FA = required
    user = clinic.user(role)
    TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(user)
    patients = Patient.objects.count()

    _assert_second_factor_required(client.get("/api/v1/me"))
    _assert_second_factor_required(client.get(f"/api/v1/patients/{clinic.patient.pk}"))
    _assert_second_factor_required(
        client.post("/api/v1/patients", NEW_PATIENT, content_type="application/json")
    )
    assert Patient.objects.count() == patients


def test_the_same_session_is_served_once_it_has_verified(clinic: Any) -> None:
    user = clinic.user("practitioner")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    client = Client()
    client.force_login(user)
    _assert_second_factor_required(client.get("/api/v1/me"))
    assert client.post("/account/2fa/verify", {"token": _code(device)}).status_code == 302
    response = client.get("/api/v1/me")
    assert response.status_code == 200
    assert response.json()["role"] == "practitioner"


def test_an_admin_without_an_authenticator_is_refused_while_it_is_required(
    clinic: Any, settings: Any
) -> None:
    settings.MESOCARE_REQUIRE_2FA = True
    client = Client()
    client.force_login(clinic.user("admin"))
    _assert_second_factor_required(client.get("/api/v1/me"))
    other = Client()
    other.force_login(clinic.user("reception"))  # not required of other roles
    assert other.get("/api/v1/me").status_code == 200


def test_bearer_tokens_of_a_user_with_an_authenticator_still_work(clinic: Any) -> None:
    membership = clinic.members["practitioner"]
    TOTPDevice.objects.create(user=membership.user, name="authenticator", confirmed=True)
    _token, raw = ApiToken.issue(membership, "integration")
    response = Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert response.status_code == 200
