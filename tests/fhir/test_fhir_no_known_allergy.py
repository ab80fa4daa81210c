"""A recorded "no known allergies" is exported as AllergyIntolerance with SNOMED CT 716186003;
a patient nobody asked has no such resource (absence of data is not NKA)."""

from __future__ import annotations

from typing import Any

import pytest
from fhir_helpers import validate  # type: ignore[import-not-found]

from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db

SNOMED_NKA = "http://snomed.info/sct|716186003"


def _search(fhir: Any, **params: str) -> list[dict[str, Any]]:
    bundle = fhir.json("AllergyIntolerance", params)
    return [e["resource"] for e in bundle.get("entry", [])]


def test_no_known_allergies_is_a_snomed_coded_allergy_intolerance(fhir: Any, clinic: Any) -> None:
    [resource] = _search(fhir, patient=f"Patient/{clinic.patient.pk}")
    validate(resource)
    assert resource["id"] == f"nka-{clinic.patient.pk}"
    coding = resource["code"]["coding"][0]
    assert (coding["system"], coding["code"]) == ("http://snomed.info/sct", "716186003")
    assert resource["verificationStatus"]["coding"][0]["code"] == "confirmed"
    assert resource["recorder"]["reference"] == (
        f"Practitioner/{clinic.members['practitioner'].pk}"
    )
    assert fhir.json(f"AllergyIntolerance/nka-{clinic.patient.pk}")["id"] == resource["id"]


def test_a_patient_nobody_asked_has_no_allergy_resource(fhir: Any, clinic: Any) -> None:
    Patient.objects.filter(pk=clinic.patient.pk).update(allergy_status="unknown")
    assert _search(fhir, patient=f"Patient/{clinic.patient.pk}") == []
    fhir.json(f"AllergyIntolerance/nka-{clinic.patient.pk}", status=404)


def test_the_snomed_code_finds_exactly_the_nka_patients(fhir: Any, clinic: Any) -> None:
    ids = [r["id"] for r in _search(fhir, code=SNOMED_NKA)]
    assert ids == [f"nka-{clinic.patient.pk}"]
    assert _search(fhir, code="lidocaine") == []
    assert _search(fhir, **{"clinical-status": "inactive"}) == []


def test_a_recorded_allergy_replaces_the_nka_resource(fhir: Any, clinic: Any) -> None:
    clinic.api("practitioner").post(
        f"patients/{clinic.patient.pk}/allergies", {"substance": "nickel"}
    )
    [resource] = _search(fhir, patient=f"Patient/{clinic.patient.pk}")
    assert resource["code"]["text"] == "nickel"
