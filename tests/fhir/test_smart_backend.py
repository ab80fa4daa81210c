"""SMART Backend Services (SMART App Launch 2.0.0): a registered client signs a JWT with its
private key and gets a short-lived token that reads the FHIR API of its organization only."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from mesocare.audit.models import AuditEvent
from mesocare.errors import Forbidden, Invalid
from mesocare.fhir.bulk.models import SmartAccessToken
from mesocare.fhir.smart import ASSERTION_TYPE, parse_jwks, register_client, token_url

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def rsa_key() -> Any:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def ec_key() -> Any:
    return ec.generate_private_key(ec.SECP384R1())


def jwks_of(private_key: Any, kid: str) -> dict[str, Any]:
    if isinstance(private_key, rsa.RSAPrivateKey):
        jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private_key.public_key()))
        jwk["alg"] = "RS384"
    else:
        jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key()))
        jwk["alg"] = "ES384"
    return {"keys": [{**jwk, "kid": kid}]}


def assertion(
    client_id: str,
    key: Any,
    kid: str = "k1",
    expires_in: dt.timedelta = dt.timedelta(minutes=4),
    **overrides: Any,
) -> str:
    """A signed client assertion; `expires_in` counts from the moment it is signed."""
    now = dt.datetime.now(dt.UTC)
    claims = {
        "iss": client_id,
        "sub": client_id,
        "aud": token_url(),
        "exp": int((now + expires_in).timestamp()),
        "jti": str(uuid.uuid4()),
        **overrides,
    }
    claims = {k: v for k, v in claims.items() if v is not None}
    alg = "RS384" if isinstance(key, rsa.RSAPrivateKey) else "ES384"
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid})


def ask(signed: str, scope: str = "system/*.read", **form: str) -> Any:
    data = {
        "grant_type": "client_credentials",
        "scope": scope,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": signed,
        **form,
    }
    return Client().post("/fhir/R4/auth/token", data)


@pytest.mark.parametrize("key_name", ["rsa_key", "ec_key"])
def test_a_signed_assertion_gets_a_token_that_reads_fhir(
    clinic: Any, key_name: str, request: pytest.FixtureRequest
) -> None:
    key = request.getfixturevalue(key_name)
    client = register_client(
        clinic.actor(), name="Registry", jwks=jwks_of(key, "k1"), reads_as=clinic.members["auditor"]
    )
    response = ask(assertion(client.client_id, key))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["token_type"] == "bearer" and body["expires_in"] == 300
    assert body["scope"] == "system/*.read"
    assert response["Cache-Control"] == "no-store"
    read = Client().get(
        f"/fhir/R4/Patient/{clinic.patient.pk}",
        HTTP_AUTHORIZATION=f"Bearer {body['access_token']}",
    )
    assert read.status_code == 200
    assert read.json()["resourceType"] == "Patient"
    event = AuditEvent.objects.filter(patient_id=clinic.patient.pk, action="read").last()
    assert event is not None and event.actor == clinic.user("auditor")


def test_the_token_does_not_read_another_organization(
    clinic: Any, other_clinic: Any, rsa_key: Any
) -> None:
    client = register_client(clinic.actor(), name="Registry", jwks=jwks_of(rsa_key, "k1"))
    token = ask(assertion(client.client_id, rsa_key)).json()["access_token"]
    read = Client().get(
        f"/fhir/R4/Patient/{other_clinic.patient.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert read.status_code == 404


def test_a_replayed_assertion_is_refused(clinic: Any, rsa_key: Any) -> None:
    client = register_client(clinic.actor(), name="Registry", jwks=jwks_of(rsa_key, "k1"))
    signed = assertion(client.client_id, rsa_key)
    assert ask(signed).status_code == 200
    again = ask(signed)
    assert again.status_code == 401
    assert again.json()["error"] == "invalid_client"
    assert "used before" in again.json()["error_description"]


@pytest.mark.parametrize(
    ("overrides", "needle"),
    [
        ({"aud": "https://elsewhere.example/token"}, "audience"),
        # Expiry from when the assertion is signed (not from collection: a long run would
        # turn "too far ahead" into "expired").
        ({"expires_in": dt.timedelta(minutes=30)}, "five"),
        ({"expires_in": dt.timedelta(minutes=-5)}, "expired"),
        ({"sub": "someone-else"}, "sub"),
        ({"jti": None}, "jti"),
    ],
)
def test_a_bad_assertion_is_refused(
    clinic: Any, rsa_key: Any, overrides: dict[str, Any], needle: str
) -> None:
    client = register_client(clinic.actor(), name="Registry", jwks=jwks_of(rsa_key, "k1"))
    response = ask(assertion(client.client_id, rsa_key, **overrides))
    assert response.status_code == 401
    assert needle in response.json()["error_description"].lower()
    assert not SmartAccessToken.objects.exists()


def test_a_key_that_is_not_registered_is_refused(clinic: Any, rsa_key: Any, ec_key: Any) -> None:
    client = register_client(clinic.actor(), name="Registry", jwks=jwks_of(rsa_key, "k1"))
    other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    assert ask(assertion(client.client_id, other)).status_code == 401
    assert ask(assertion(client.client_id, rsa_key, kid="k2")).status_code == 401
    assert ask(assertion(client.client_id, ec_key)).status_code == 401
    hs = jwt.encode({"iss": client.client_id}, "secret-secret-secret-secret-32b!", "HS256")
    assert ask(hs).json()["error"] == "invalid_client"


def test_grant_type_assertion_type_and_scope_are_checked(clinic: Any, rsa_key: Any) -> None:
    client = register_client(clinic.actor(), name="Registry", jwks=jwks_of(rsa_key, "k1"))
    signed = assertion(client.client_id, rsa_key)
    assert ask(signed, grant_type="password").json()["error"] == "unsupported_grant_type"
    assert ask(signed, client_assertion_type="x").json()["error"] == "invalid_request"
    response = ask(assertion(client.client_id, rsa_key), scope="system/*.write")
    assert (response.status_code, response.json()["error"]) == (400, "invalid_scope")
    assert Client().get("/fhir/R4/auth/token").status_code == 405


def test_an_expired_or_deactivated_token_no_longer_reads(clinic: Any, rsa_key: Any) -> None:
    client = register_client(clinic.actor(), name="Registry", jwks=jwks_of(rsa_key, "k1"))
    token = ask(assertion(client.client_id, rsa_key)).json()["access_token"]
    SmartAccessToken.objects.update(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
    read = Client().get(
        f"/fhir/R4/Patient/{clinic.patient.pk}", HTTP_AUTHORIZATION=f"Bearer {token}"
    )
    assert read.status_code == 401


def test_smart_configuration_names_the_token_endpoint(clinic: Any) -> None:
    body = Client().get("/fhir/R4/.well-known/smart-configuration").json()
    assert body["token_endpoint"] == token_url()
    assert body["token_endpoint_auth_methods_supported"] == ["private_key_jwt"]
    assert set(body["token_endpoint_auth_signing_alg_values_supported"]) == {"RS384", "ES384"}
    assert "client-confidential-asymmetric" in body["capabilities"]


def test_only_admins_register_and_private_or_weak_keys_are_refused(
    clinic: Any, rsa_key: Any
) -> None:
    with pytest.raises(Forbidden):
        register_client(clinic.actor("reception"), name="X", jwks=jwks_of(rsa_key, "k1"))
    private = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key))
    with pytest.raises(Invalid, match="private key"):
        parse_jwks({"keys": [{**private, "kid": "k"}]})
    with pytest.raises(Invalid, match="kid"):
        parse_jwks({"keys": [{"kty": "RSA", "n": "x", "e": "AQAB"}]})
    with pytest.raises(Invalid, match="RS384 or ES384"):
        parse_jwks({"keys": [{"kty": "oct", "k": "abc", "kid": "s", "alg": "HS256"}]})


@settings(max_examples=50, deadline=None)
@given(st.one_of(st.text(max_size=200), st.binary(max_size=100).map(lambda b: b.hex())))
def test_any_jwks_text_is_accepted_or_refused_with_a_message(text: str) -> None:
    try:
        parse_jwks(text)
    except Invalid as exc:
        assert exc.errors[0]["field"] == "jwks"
