"""Two organizations on one server: no endpoint lets one read or change the other's data.

Driven by the OpenAPI document, so every new endpoint is covered: each operation with an id in
its path or body is called with the other organization's ids and a body that passes validation
(tests/api/api_operations.py), so the organization lookup — not a 422 for an empty body — is
what answers, and it must answer 404."""

from __future__ import annotations

import re
from typing import Any

import pytest
from api_operations import CALLS, operations, send
from django.test import Client

from mesocare.accounts.models import ApiToken
from mesocare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

# Path parameters that are not object ids (a kind, a rule code, a scale, an injection number).
NOT_IDS = {"kind", "code", "scale_id", "n"}


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _has_id_in_path(path: str) -> bool:
    return any(name not in NOT_IDS for name in re.findall(r"\{(\w+)\}", path))


OPERATIONS = operations()


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_other_organizations_ids_are_not_found(
    clinic: Any, other_clinic: Any, method: str, path: str
) -> None:
    assert (method, path) in CALLS, f"teach tests/api/api_operations.py CALLS `{method} {path}`"
    request = CALLS[(method, path)](other_clinic, "admin")
    names_objects = _has_id_in_path(path) or request.ids_in_body
    if not names_objects:
        # Nothing of the other organization to name: the call, made with our own data, must
        # still leave the other organization untouched.
        request = CALLS[(method, path)](clinic, "admin")
    _token, raw = ApiToken.issue(clinic.members["admin"])
    before = AuditEvent.objects.filter(organization=other_clinic.org).count()
    response = send(Client(), method, request, {"HTTP_AUTHORIZATION": f"Bearer {raw}"})
    where = f"{method} /{request.path}: {response.status_code} {response.content[:300]!r}"
    if names_objects:
        assert response.status_code == 404, where
        assert response["Content-Type"] == "application/problem+json", where
    else:
        assert response.status_code < 500, where
    after = AuditEvent.objects.filter(organization=other_clinic.org).count()
    assert after == before, f"{method} /{request.path} touched the other organization"


def test_list_endpoints_never_show_other_organizations_rows(clinic: Any, other_clinic: Any) -> None:
    me = clinic.api("admin")
    markers = [other_clinic.org.slug, other_clinic.patient.family_name, other_clinic.location.name]
    for method, path in OPERATIONS:
        if method != "GET" or "{" in path:
            continue
        response = me.get(path, **CALLS[(method, path)](clinic, "admin").query)
        assert response.status_code < 500, path
        text = response.content.decode()
        for marker in markers:
            assert marker not in text, f"GET {path} shows {marker!r} of another organization"


def test_the_same_endpoints_work_for_the_owner(clinic: Any) -> None:
    _token, raw = ApiToken.issue(clinic.members["admin"])
    for method, path in OPERATIONS:
        if method != "GET" or "{" not in path:
            continue
        response = send(
            Client(), method, CALLS[(method, path)](clinic, "admin"),
            {"HTTP_AUTHORIZATION": f"Bearer {raw}"},
        )  # fmt: skip
        assert response.status_code == 200, f"GET {path}: {response.status_code}"
