"""The CapabilityStatement is generated from the registry and tells the truth: every search
parameter it claims works, anything it does not claim is refused with an OperationOutcome."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir_helpers import populate, validate  # type: ignore[import-not-found]

pytestmark = pytest.mark.django_db

LOINC_WEIGHT = "http://loinc.org|29463-7"


def examples(r: dict[str, Any], clinic: Any) -> dict[tuple[str, str], str]:
    """A value for each (type, parameter) that matches at least one of `populate`'s records."""
    patient = f"Patient/{clinic.patient.pk}"
    return {
        ("AdverseEvent", "date"): "ge2000-01-01",
        ("AdverseEvent", "event"): "bruising",
        ("AllergyIntolerance", "clinical-status"): "active",
        ("AllergyIntolerance", "code"): r["allergy"].ingredient.code,
        ("Appointment", "date"): f"{r['appointment'].start:%Y-%m-%d}",
        ("Appointment", "status"): "fulfilled",
        ("Appointment", "practitioner"): f"Practitioner/{clinic.members['practitioner'].pk}",
        ("Appointment", "location"): f"Location/{clinic.location.pk}",
        ("CarePlan", "status"): "active",
        ("CarePlan", "date"): "2026-01",
        ("Communication", "sent"): "ge2000",
        ("Condition", "clinical-status"): "active",
        ("Condition", "code"): "diabetes",
        ("Consent", "status"): "active",
        ("Consent", "date"): "2026-01-05",
        ("Encounter", "date"): "lt2199-01-01",
        ("Encounter", "status"): "finished",
        ("Location", "status"): "active",
        ("Media", "created"): "ge2000-01-01T00:00:00Z",
        ("Medication", "code"): r["lot"].product.code,
        ("Medication", "lot-number"): r["lot"].lot_number,
        ("Medication", "expiration-date"): "2030-01-31",
        ("Medication", "status"): "active",
        ("MedicationAdministration", "effective-time"): "ge2000-01-01",
        ("MedicationAdministration", "status"): "completed",
        ("MedicationAdministration", "medication"): f"Medication/{r['lot'].pk}",
        ("MedicationAdministration", "code"): r["lot"].product.code,
        ("MedicationStatement", "status"): "active",
        ("MedicationStatement", "code"): "anticoagulant",
        ("Observation", "date"): "2026-01-05",
        ("Observation", "code"): LOINC_WEIGHT,
        ("Observation", "category"): "vital-signs",
        ("Observation", "status"): "final",
        ("Patient", "birthdate"): "1990-05-17",
        ("Patient", "gender"): "female",
        ("Patient", "active"): "true",
        ("Practitioner", "active"): "true",
        ("PractitionerRole", "active"): "true",
        ("PractitionerRole", "practitioner"): f"Practitioner/{clinic.members['admin'].pk}",
        ("Procedure", "date"): "ge2000-01-01",
        ("Procedure", "status"): "completed",
        ("Procedure", "based-on"): f"CarePlan/{r['plan'].pk}",
        ("Provenance", "recorded"): "ge2000-01-01",
        ("Group", "actual"): "true",
        ("*", "patient"): patient,
        ("*", "subject"): patient,
    }


def test_capability_statement_is_valid_r4(fhir: Any) -> None:
    response = fhir.client.get("/fhir/R4/metadata")  # no token: the statement is public
    assert response.status_code == 200
    statement = json.loads(response.content)
    validate(statement)
    assert statement["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"Patient", "Procedure", "MedicationAdministration", "Observation"} <= types
    assert len(types) == 23  # 21 clinical and administrative types + the two definition types


def test_every_claimed_parameter_works_and_others_are_refused(clinic: Any, fhir: Any) -> None:
    records = populate(clinic)
    table = examples(records, clinic)
    statement = fhir.json("metadata")
    claimed: set[tuple[str, str]] = set()
    for resource in statement["rest"][0]["resource"]:
        type_name = resource["type"]
        if "search-type" not in {i["code"] for i in resource["interaction"]}:
            assert fhir.get(type_name).status_code == 404
            continue
        everything = fhir.json(type_name, {"_count": 200})
        assert everything["total"] >= 1, type_name
        some_id = everything["entry"][0]["resource"]["id"]
        for param in resource["searchParam"]:
            name = param["name"]
            if name == "_id":
                value = some_id
            elif name == "_lastUpdated":
                value = "ge2000-01-01"
            else:
                key = (type_name, name) if (type_name, name) in table else ("*", name)
                assert key in table, f"no example for {type_name}?{name}"
                value = table[key]
                claimed.add((type_name, name))
            bundle = fhir.json(type_name, {name: value})
            assert bundle["total"] >= 1, (type_name, name, value)
            validate(bundle)
        for include in resource.get("searchInclude", []):
            bundle = fhir.json(type_name, {"_include": include})
            assert any(e["search"]["mode"] == "include" for e in bundle["entry"]), include
        # Not claimed: refused, never ignored.
        for name, value in (
            ("name", "x"),
            ("_sort", "date"),
            ("_summary", "true"),
            ("status:not", "x"),
        ):
            if name in {p["name"] for p in resource["searchParam"]}:
                continue
            response = fhir.get(type_name, {name: value})
            assert response.status_code == 400, (type_name, name)
            assert json.loads(response.content)["resourceType"] == "OperationOutcome"
        response = fhir.get(type_name, {"_include": "Patient:organization"})
        assert response.status_code == 400
    # The table holds no example of a parameter the statement does not claim.
    assert {k for k in table if k[0] != "*"} <= claimed


def test_definitions_named_by_resources_are_served(fhir: Any) -> None:
    for path in ("StructureDefinition/injection", "CodeSystem/scale-item", "CodeSystem/zone"):
        resource = fhir.json(path)
        validate(resource)
        assert resource["url"].endswith(f"/fhir/R4/{path}")
    assert fhir.get("CodeSystem/nothing").status_code == 404


def test_smart_backend_services_and_the_export_operations_are_claimed_and_served(
    clinic: Any, fhir: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "private"
    populate(clinic)
    statement = fhir.json("metadata")
    rest = statement["rest"][0]
    services = [c["code"] for s in rest["security"]["service"] for c in s["coding"]]
    assert services == ["SMART-on-FHIR"]
    (uris,) = rest["security"]["extension"]
    token = {e["url"]: e["valueUri"] for e in uris["extension"]}["token"]
    smart = json.loads(fhir.client.get("/fhir/R4/.well-known/smart-configuration").content)
    assert smart["token_endpoint"] == token
    # Every $export the statement claims answers a kick-off with 202; no other type claims one.
    claimed = [("$export", op["definition"]) for op in rest["operation"]]
    for resource in rest["resource"]:
        for op in resource.get("operation", []):
            type_name = resource["type"]
            instance = f"/{clinic.location.pk}" if type_name == "Group" else ""
            claimed.append((f"{type_name}{instance}/$export", op["definition"]))
    assert sorted(d.rsplit("/", 1)[1] for _p, d in claimed) == [
        "export",
        "group-export",
        "patient-export",
    ]
    for path, _definition in claimed:
        response = fhir.get(path, {"_type": "Patient"}, HTTP_PREFER="respond-async")
        assert response.status_code == 202, (path, response.content)
        status_path = response["Content-Location"].split("/fhir/R4/", 1)[1]
        assert fhir.client.delete(f"/fhir/R4/{status_path}", **fhir.headers).status_code == 202
    assert fhir.get("Observation/$export", HTTP_PREFER="respond-async").status_code == 404
