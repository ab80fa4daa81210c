"""Organization → Data access: an admin registers a SMART backend client (public keys, scopes,
whose permissions it reads with), sees its client id, and revokes it; a bad key set comes back
beside its field; only admins see the page; every change is audited."""

from __future__ import annotations

import json
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from django.test import Client

from mesocare.audit.models import AuditEvent
from mesocare.fhir.bulk.models import SmartClient

pytestmark = pytest.mark.django_db


def _jwks() -> str:
    key = ec.generate_private_key(ec.SECP384R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    return json.dumps({"keys": [{**jwk, "kid": "registry-1"}]})


def _admin(clinic: Any) -> Client:
    client = Client()
    client.force_login(clinic.user("admin"))
    return client


def test_register_list_and_revoke(clinic: Any, django_assert_max_num_queries: Any) -> None:
    admin = _admin(clinic)
    auditor = clinic.members["auditor"]
    form = {
        "name": "Regional registry",
        "jwks": _jwks(),
        "scopes": ["system/*.read"],
        "reads_as": auditor.pk,
    }
    response = admin.post("/org/data-access", form, follow=True)
    assert response.status_code == 200
    client = SmartClient.objects.get()
    assert client.membership == auditor and client.scopes == "system/*.read"
    assert client.jwks["keys"][0]["alg"] == "ES384"
    html = response.content.decode()
    assert client.client_id in html and "Regional registry" in html and "registry-1" in html
    assert AuditEvent.objects.filter(action="create", object_type__icontains="smartclient").exists()
    with django_assert_max_num_queries(20):
        assert admin.get("/org/data-access").status_code == 200
    confirm = admin.get(f"/org/data-access/{client.pk}/revoke")
    assert "Regional registry" in confirm.content.decode()
    admin.post(f"/org/data-access/{client.pk}/revoke")
    client.refresh_from_db()
    assert not client.is_active
    assert AuditEvent.objects.filter(action="update", object_type__icontains="smartclient").exists()
    assert admin.get(f"/org/data-access/{client.pk}/revoke").status_code == 404


def test_a_private_or_broken_key_set_is_refused_beside_its_field(clinic: Any) -> None:
    admin = _admin(clinic)
    private = json.dumps({"keys": [{"kty": "EC", "kid": "k", "d": "secret"}]})
    for jwks, message in (("not json", "not JSON"), (private, "private key")):
        response = admin.post(
            "/org/data-access",
            {
                "name": "X",
                "jwks": jwks,
                "scopes": ["system/*.read"],
                "reads_as": clinic.members["admin"].pk,
            },
        )
        assert response.status_code == 200
        form = response.context["form"]
        assert message in " ".join(form.errors["jwks"])
    assert not SmartClient.objects.exists()


def test_only_admins_and_only_their_organizations_clients(clinic: Any, other_clinic: Any) -> None:
    from mesocare.fhir import smart

    theirs = smart.register_client(other_clinic.actor("admin"), name="Theirs", jwks=_jwks())
    admin = _admin(clinic)
    assert "Theirs" not in admin.get("/org/data-access").content.decode()
    assert admin.get(f"/org/data-access/{theirs.pk}/revoke").status_code == 404
    reception = Client()
    reception.force_login(clinic.user("reception"))
    assert reception.get("/org/data-access").status_code in (403, 404)
    assert reception.post("/org/data-access", {"name": "X"}).status_code in (403, 404)
    assert not SmartClient.objects.for_org(clinic.org.pk).exists()
