"""Helpers of the FHIR tests: a client for /fhir/R4/ with a clinic member's bearer token, and
two independent checks of a resource: the `fhir.resources` R4B models (every element and
cardinality) and SMART's `fhirclient` R4 models (strict: unknown keys are errors)."""

from __future__ import annotations

import json
from typing import Any

from django.test import Client
from fhir.resources.R4B import get_fhir_model_class
from fhirclient.models.fhirelementfactory import FHIRElementFactory

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


def validate(resource: dict[str, Any]) -> None:
    """Raises if either library rejects the resource."""
    model = get_fhir_model_class(resource["resourceType"])
    model.model_validate(resource)
    loaded = FHIRElementFactory.instantiate(resource["resourceType"], resource)
    assert loaded.resource_type == resource["resourceType"]
