"""Read, search, errors and conditional reads of the FHIR API on a small clinic."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from mesocare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_patient_read_is_fhir_json_with_meta_and_etag(clinic: Any, fhir: Any) -> None:
    response = fhir.get(f"Patient/{clinic.patient.pk}")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/fhir+json")
    body = json.loads(response.content)
    assert body["resourceType"] == "Patient"
    assert body["name"][0]["family"] == "Rossi"
    assert body["birthDate"] == "1990-05-17"
    assert response["ETag"] == f'W/"{body["meta"]["versionId"]}"'
    assert body["meta"]["lastUpdated"]


def test_if_none_match_gives_304_and_a_change_a_new_version(clinic: Any, fhir: Any) -> None:
    first = fhir.get(f"Patient/{clinic.patient.pk}")
    etag = first["ETag"]
    assert fhir.get(f"Patient/{clinic.patient.pk}", HTTP_IF_NONE_MATCH=etag).status_code == 304
    strong = etag.removeprefix("W/")
    assert fhir.get(f"Patient/{clinic.patient.pk}", HTTP_IF_NONE_MATCH=strong).status_code == 304
    clinic.patient.phone = "+39 333 000 0000"
    clinic.patient.save()
    again = fhir.get(f"Patient/{clinic.patient.pk}", HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 200
    assert again["ETag"] != etag


def test_read_is_audited_as_a_patient_read(clinic: Any, fhir: Any) -> None:
    fhir.get(f"Patient/{clinic.patient.pk}")
    event = AuditEvent.objects.get(object_type="fhir.Patient", action="read")
    assert event.patient_id == clinic.patient.pk
    assert event.channel == "fhir"


def test_search_is_a_searchset_bundle_audited_as_a_list_read(clinic: Any, fhir: Any) -> None:
    bundle = fhir.json("Patient")
    assert bundle["resourceType"] == "Bundle"
    assert bundle["type"] == "searchset"
    assert bundle["total"] == 1
    assert bundle["entry"][0]["search"]["mode"] == "match"
    event = AuditEvent.objects.get(object_type="fhir.Patient")
    assert event.patient_ids == [clinic.patient.pk]


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("Patient/999999", 404, "not-found"),
        ("Patient/abc", 404, "not-found"),
        ("Nonsense", 404, "not-supported"),
        ("Patient?foo=bar", 400, "invalid"),
        ("Patient?birthdate=yesterday", 400, "invalid"),
        ("Patient?_count=x", 400, "invalid"),
        ("Patient?_format=xml", 406, "not-supported"),
        ("Patient?gender:not=male", 400, "invalid"),
    ],
)
def test_errors_are_operation_outcomes(fhir: Any, path: str, status: int, code: str) -> None:
    response = fhir.client.get(f"/fhir/R4/{path}", **fhir.headers)
    assert response.status_code == status
    body = json.loads(response.content)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["code"] == code


def test_no_token_is_401_operation_outcome(clinic: Any) -> None:
    response = Client().get(f"/fhir/R4/Patient/{clinic.patient.pk}")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert json.loads(response.content)["issue"][0]["code"] == "login"


def test_only_get_is_allowed(clinic: Any, fhir: Any) -> None:
    response = fhir.client.post(f"/fhir/R4/Patient/{clinic.patient.pk}", **fhir.headers)
    assert response.status_code == 405
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"


def test_format_json_and_accept_are_honoured(clinic: Any, fhir: Any) -> None:
    plain = fhir.get("Patient", {"_format": "application/json"})
    assert plain.status_code == 200
    assert plain["Content-Type"].startswith("application/json")
    assert fhir.get("Patient", {"_format": "json"})["Content-Type"].startswith(
        "application/fhir+json"
    )
    assert fhir.get("Patient", HTTP_ACCEPT="application/fhir+xml").status_code == 406


def test_a_staff_session_reads_too(clinic: Any) -> None:
    client = Client()
    client.force_login(clinic.user("practitioner"))
    assert client.get(f"/fhir/R4/Patient/{clinic.patient.pk}").status_code == 200


def test_last_updated_search_follows_meta_last_updated(clinic: Any, fhir: Any) -> None:
    resource = fhir.json(f"Patient/{clinic.patient.pk}")
    stamp = resource["meta"]["lastUpdated"]
    assert fhir.json("Patient", {"_lastUpdated": f"ge{stamp}"})["total"] == 1
    assert fhir.json("Patient", {"_lastUpdated": f"gt{stamp}"})["total"] == 0
    assert fhir.json("Patient", {"_lastUpdated": "lt2000"})["total"] == 0


def test_a_search_filtered_to_one_patient_shows_on_that_patients_audit(
    clinic: Any, fhir: Any
) -> None:
    fhir.json("Observation", {"patient": f"Patient/{clinic.patient.pk}"})
    event = AuditEvent.objects.get(object_type="fhir.Observation")
    assert event.patient_id == clinic.patient.pk


def test_or_within_a_parameter_and_across_repeats(clinic: Any, fhir: Any) -> None:
    assert fhir.json("Patient", {"gender": "male,female"})["total"] == 1
    response = fhir.get("Patient?gender=female&gender=male")
    assert json.loads(response.content)["total"] == 0
