"""Every error a client can cause is RFC 9457 problem+json with field-level messages."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db

VALID = {
    "given_name": "Ada",
    "family_name": "Bianchi",
    "birth_date": "1985-03-04",
    "sex_at_birth": "female",
}


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["type"].startswith("https://")
    assert body["title"]
    assert body["detail"]
    return body


def fields(body: dict[str, Any]) -> set[str]:
    return {e["field"] for e in body["errors"]}


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"birth_date": "1985-02-30"}, "birth_date"),
        ({"birth_date": "yesterday"}, "birth_date"),
        ({"birth_date": "2999-01-01"}, "birth_date"),
        ({"sex_at_birth": "robot"}, "sex_at_birth"),
        ({"given_name": "x" * 101}, "given_name"),
        ({"given_name": ""}, "given_name"),
        ({"given_name": 12}, "given_name"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "1" * 41}, "phone"),
    ],
)
def test_bad_patient_fields_are_422_naming_the_field(api: Any, change: Any, field: str) -> None:
    before = Patient.objects.count()
    body = assert_problem(api.post("patients", {**VALID, **change}), 422)
    assert field in fields(body)
    assert all(e["message"] for e in body["errors"])
    assert Patient.objects.count() == before


def test_missing_fields_are_each_named(api: Any) -> None:
    body = assert_problem(api.post("patients", {"given_name": "Ada"}), 422)
    assert {"family_name", "birth_date", "sex_at_birth"} <= fields(body)


def test_malformed_json_is_a_problem_not_a_crash(api: Any) -> None:
    response = api.post("patients", "{not json")
    assert response.status_code in (400, 422)
    assert response["Content-Type"] == "application/problem+json"


def test_unknown_ids_are_404(api: Any) -> None:
    assert_problem(api.get("patients/999999"), 404)
    assert_problem(api.post("patients/999999/allergies", {"substance": "soy"}), 404)
    assert_problem(api.patch("locations/999999", {"name": "x"}), 404)


def test_non_numeric_id_is_a_problem(api: Any) -> None:
    assert api.get("patients/abc")["Content-Type"] == "application/problem+json"


def test_unknown_endpoint_is_problem_404(api: Any) -> None:
    assert_problem(api.get("no-such-thing"), 404)


def test_missing_credentials_are_401(db: Any) -> None:
    response = Client().get("/api/v1/patients")
    body = assert_problem(response, 401)
    assert body["code"] == "unauthenticated"
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_revoked_or_wrong_token_is_401(clinic: Any) -> None:
    client = Client()
    assert_problem(client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer mc_nope"), 401)


def test_out_of_range_query_parameters_are_422(api: Any) -> None:
    body = assert_problem(api.get("patients", limit=100000), 422)
    assert "limit" in fields(body)


def test_weight_out_of_range_and_future_dates_are_rejected(api: Any, clinic: Any) -> None:
    pid = clinic.patient.pk
    assert "kg" in fields(
        assert_problem(
            api.post(f"patients/{pid}/weights", {"kg": "-3", "measured_on": "2026-01-01"}), 422
        )
    )
    body = assert_problem(
        api.post(f"patients/{pid}/weights", {"kg": "60", "measured_on": "2999-01-01"}), 422
    )
    assert "measured_on" in fields(body)


def test_unknown_choice_values_name_the_field(api: Any, clinic: Any) -> None:
    pid = clinic.patient.pk
    body = assert_problem(
        api.post(f"patients/{pid}/medications", {"name": "X", "drug_class": "magic"}), 422
    )
    assert "drug_class" in fields(body)
    body = assert_problem(api.post(f"patients/{pid}/conditions", {"code": "flu"}), 422)
    assert "code" in fields(body)


def test_an_allergy_needs_a_substance_or_ingredient(api: Any, clinic: Any) -> None:
    body = assert_problem(api.post(f"patients/{clinic.patient.pk}/allergies", {}), 422)
    assert "substance" in fields(body)
    body = assert_problem(
        api.post(f"patients/{clinic.patient.pk}/allergies", {"ingredient": 999999}), 422
    )
    assert "ingredient" in fields(body)
