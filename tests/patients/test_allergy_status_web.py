"""The staff patient form records the allergy history: "No known allergies" with who and when;
the patient header shows "not asked" as a warning until someone asks."""

from __future__ import annotations

from typing import Any

import pytest

from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db


def _form(clinic: Any, **extra: str) -> dict[str, str]:
    p = clinic.patient
    return {
        "given_name": p.given_name,
        "family_name": p.family_name,
        "birth_date": p.birth_date.isoformat(),
        "sex_at_birth": p.sex_at_birth,
        "preferred_channel": "email",
        **extra,
    }


def test_recording_no_known_allergies_in_the_patient_form(clinic: Any, client: Any) -> None:
    Patient.objects.filter(pk=clinic.patient.pk).update(allergy_status="unknown")
    client.force_login(clinic.user("practitioner"))
    header = client.get(f"/patients/{clinic.patient.pk}").content.decode()
    assert "Allergies not asked" in header
    response = client.post(
        f"/patients/{clinic.patient.pk}/edit",
        _form(clinic, allergy_status="no_known_allergies"),
    )
    assert response.status_code == 302
    patient = Patient.objects.get(pk=clinic.patient.pk)
    assert patient.allergy_status == "no_known_allergies"
    assert patient.allergy_status_by == clinic.user("practitioner")
    assert "No known allergies" in client.get(f"/patients/{clinic.patient.pk}").content.decode()


def test_claiming_has_allergies_without_one_is_refused_beside_the_field(
    clinic: Any, client: Any
) -> None:
    client.force_login(clinic.user("practitioner"))
    response = client.post(
        f"/patients/{clinic.patient.pk}/edit", _form(clinic, allergy_status="has_allergies")
    )
    html = response.content.decode()
    assert 'id="id_allergy_status_error"' in html
    assert "Record the allergy itself" in html
    assert Patient.objects.get(pk=clinic.patient.pk).allergy_status == "no_known_allergies"
