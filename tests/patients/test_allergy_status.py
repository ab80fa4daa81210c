""" "No known allergies" is an answer someone recorded, never a default or a side effect."""

from __future__ import annotations

from typing import Any

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _not_asked(clinic: Any) -> None:
    """The shared patient was asked at intake; here nobody has asked yet."""
    Patient.objects.filter(pk=clinic.patient.pk).update(
        allergy_status="unknown", allergy_status_by=None, allergy_status_at=None
    )


def _status(clinic: Any) -> Patient:
    return Patient.objects.get(pk=clinic.patient.pk)


def test_a_new_patient_is_not_asked_until_someone_records_an_answer(api: Any) -> None:
    body = api.post(
        "patients",
        {
            "given_name": "Ada",
            "family_name": "Neri",
            "birth_date": "1990-01-01",
            "sex_at_birth": "female",
        },
    ).json()
    assert body["allergy_status"] == "unknown"
    assert body["allergy_status_at"] is None


def test_recording_no_known_allergies_keeps_who_and_when_and_is_audited(
    api: Any, clinic: Any
) -> None:
    response = api.patch(f"patients/{clinic.patient.pk}", {"allergy_status": "no_known_allergies"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["allergy_status"] == "no_known_allergies"
    assert body["allergy_status_at"] is not None
    assert body["allergy_status_patient_reported"] is False
    patient = _status(clinic)
    assert patient.allergy_status_by == clinic.user("admin")
    event = AuditEvent.objects.filter(object_type="patients.patient", action="update").latest("id")
    assert event.changes["allergy_status"] == ["unknown", "no_known_allergies"]


def test_has_allergies_cannot_be_claimed_without_the_allergy_itself(api: Any, clinic: Any) -> None:
    response = api.patch(f"patients/{clinic.patient.pk}", {"allergy_status": "has_allergies"})
    assert response.status_code == 422
    assert response["content-type"].startswith("application/problem+json")
    assert response.json()["errors"][0]["field"] == "allergy_status"
    assert _status(clinic).allergy_status == "unknown"


def test_adding_an_allergy_sets_has_allergies_and_nka_is_then_refused(
    api: Any, clinic: Any
) -> None:
    api.patch(f"patients/{clinic.patient.pk}", {"allergy_status": "no_known_allergies"})
    added = api.post(f"patients/{clinic.patient.pk}/allergies", {"substance": "nickel"})
    assert added.status_code == 201, added.content
    assert api.get(f"patients/{clinic.patient.pk}").json()["allergy_status"] == "has_allergies"
    refused = api.patch(f"patients/{clinic.patient.pk}", {"allergy_status": "no_known_allergies"})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "allergy_status"


def test_ending_the_last_allergy_means_ask_again_not_none_known(api: Any, clinic: Any) -> None:
    first = api.post(f"patients/{clinic.patient.pk}/allergies", {"substance": "nickel"}).json()
    second = api.post(f"patients/{clinic.patient.pk}/allergies", {"substance": "latex"}).json()
    api.delete(f"patients/{clinic.patient.pk}/allergies/{first['id']}")
    assert _status(clinic).allergy_status == "has_allergies"
    api.delete(f"patients/{clinic.patient.pk}/allergies/{second['id']}")
    assert _status(clinic).allergy_status == "unknown"


def test_null_is_not_an_allergy_status(api: Any, clinic: Any) -> None:
    response = api.patch(f"patients/{clinic.patient.pk}", {"allergy_status": None})
    assert response.status_code == 422


def test_every_role_reads_the_allergy_status(clinic: Any) -> None:
    clinic.api("admin").patch(
        f"patients/{clinic.patient.pk}", {"allergy_status": "no_known_allergies"}
    )
    body = clinic.api("reception").get(f"patients/{clinic.patient.pk}").json()
    assert body["clinical_redacted"] is True
    assert body["allergy_status"] == "no_known_allergies"
