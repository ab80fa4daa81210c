"""FHIR test helpers: a client that speaks to /fhir/R4/ with a clinic member's bearer token."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from mesocare.accounts.models import ApiToken
from mesocare.clinics.models import Membership

BASE = "/fhir/R4"


class Fhir:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def get(self, path: str, params: Any = None, **headers: str) -> Any:
        url = path if path.startswith("/") else f"{BASE}/{path}"
        return self.client.get(url, data=params or {}, **self.headers, **headers)

    def json(self, path: str, params: Any = None, status: int = 200) -> Any:
        response = self.get(path, params)
        assert response.status_code == status, (response.status_code, response.content[:500])
        return json.loads(response.content)


def fhir_for(membership: Membership) -> Fhir:
    _token, raw = ApiToken.issue(membership)
    return Fhir(raw)


@pytest.fixture
def fhir(clinic: Any) -> Fhir:
    return fhir_for(clinic.members["admin"])
