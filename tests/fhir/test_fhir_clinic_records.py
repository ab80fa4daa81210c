"""Every resource type on a clinic with one of each record: valid R4 (fhir.resources and
fhirclient), the clinical links (Procedure → CarePlan, MedicationAdministration → Medication,
routes, doses), `_include`, paging, and no other organization's data anywhere."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir_helpers import fhir_for, populate, validate  # type: ignore[import-not-found]

from mesocare.fhir.registry import resource_types

pytestmark = pytest.mark.django_db


@pytest.fixture
def records(clinic: Any) -> dict[str, Any]:
    return populate(clinic)


@pytest.fixture
def both(clinic: Any, other_clinic: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    return populate(clinic), populate(other_clinic)


def _resources(fhir: Any, type_name: str, **params: Any) -> list[dict[str, Any]]:
    bundle = fhir.json(type_name, {"_count": 200, **params})
    validate(bundle)
    return [e["resource"] for e in bundle.get("entry", [])]


def test_every_type_has_valid_resources_and_reads_match_searches(records: Any, fhir: Any) -> None:
    for rtype in resource_types():
        found = _resources(fhir, rtype.name)
        assert found, f"no {rtype.name}"
        for resource in found:
            validate(resource)
            assert fhir.json(f"{rtype.name}/{resource['id']}") == resource


def test_procedure_is_the_signed_session_with_injection_extension(records: Any, fhir: Any) -> None:
    session, plan = records["session"], records["plan"]
    procedure = fhir.json(f"Procedure/{session.pk}")
    assert procedure["basedOn"] == [{"reference": f"CarePlan/{plan.pk}"}]
    assert procedure["status"] == "completed"
    [extension] = procedure["extension"]
    assert extension["url"].endswith("/fhir/R4/StructureDefinition/injection")
    parts = {p["url"]: p for p in extension["extension"]}
    assert parts["technique"]["valueCoding"]["code"] == "nappage"
    assert parts["depth"]["valueQuantity"] == {
        "value": 2,
        "unit": "mm",
        "system": "http://unitsofmeasure.org",
        "code": "mm",
    }
    # The extension's definition is served at its canonical URL.
    definition = fhir.json(extension["url"].split("/fhir/R4/", 1)[1])
    validate(definition)
    assert definition["url"] == extension["url"]


def test_medication_administration_route_dose_and_lot(records: Any, fhir: Any) -> None:
    component, lot = records["component"], records["lot"]
    administration = fhir.json(f"MedicationAdministration/{component.pk}")
    assert administration["partOf"] == [{"reference": f"Procedure/{records['session'].pk}"}]
    assert administration["medicationReference"] == {"reference": f"Medication/{lot.pk}"}
    dosage = administration["dosage"]
    assert dosage["route"]["coding"][0] == {
        "system": "http://snomed.info/sct",
        "code": "372464004",
        "display": "Intradermal route",
    }
    assert dosage["dose"]["value"] == 2 and dosage["dose"]["code"] == "mL"
    assert " mg" in dosage["text"]
    medication = fhir.json(f"Medication/{lot.pk}")
    assert medication["batch"] == {"lotNumber": lot.lot_number, "expirationDate": "2030-01-31"}
    assert medication["ingredient"]


def test_includes_bring_the_referenced_resources(records: Any, fhir: Any) -> None:
    bundle = fhir.json(
        "MedicationAdministration", {"_include": "MedicationAdministration:medication"}
    )
    modes = {(e["resource"]["resourceType"], e["search"]["mode"]) for e in bundle["entry"]}
    assert modes == {("MedicationAdministration", "match"), ("Medication", "include")}
    bundle = fhir.json("Procedure", {"_include": "Procedure:based-on"})
    included = [e["resource"] for e in bundle["entry"] if e["search"]["mode"] == "include"]
    assert [r["id"] for r in included] == [str(records["plan"].pk)]
    validate(bundle)


def test_observations_weight_scale_items_and_circumference(records: Any, fhir: Any) -> None:
    weight = fhir.json(f"Observation/weight-{records['weight'].pk}")
    assert weight["code"]["coding"][0]["code"] == "29463-7"
    assert weight["valueQuantity"]["code"] == "kg"
    assessment = fhir.json(f"Observation/assessment-{records['assessment'].pk}")
    [item] = assessment["component"]
    assert item["code"]["coding"][0]["code"] == "vas-pain.score"
    assert item["code"]["coding"][0]["system"].endswith("/fhir/R4/CodeSystem/scale-item")
    circumference = fhir.json(f"Observation/measurement-{records['measurement'].pk}")
    assert circumference["valueQuantity"]["code"] == "cm"
    by_code = _resources(fhir, "Observation", code="http://loinc.org|29463-7")
    assert [o["id"] for o in by_code] == [f"weight-{records['weight'].pk}"]
    # The code systems named are served.
    for system in (item["code"]["coding"][0]["system"],):
        validate(fhir.json(system.split("/fhir/R4/", 1)[1]))


def test_media_only_with_photo_consent_in_force(records: Any, clinic: Any, fhir: Any) -> None:
    import datetime as dt

    from mesocare.patients.models import Consent

    assert len(_resources(fhir, "Media")) == 1
    general = Consent.objects.create(
        organization=clinic.org,
        patient=clinic.patient,
        kind="general",
        version="1",
        signed_on=dt.date(2026, 1, 1),
    )
    consent = records["consent"]
    consent.withdrawn_on = consent.signed_on
    consent.save()
    # A withdrawn photography consent wins over a general consent in force.
    assert _resources(fhir, "Media") == []
    assert fhir.get(f"Media/{records['photo'].pk}").status_code == 404
    # Without any photography consent, a general consent in force allows it.
    consent.delete()
    assert len(_resources(fhir, "Media")) == 1
    general.withdrawn_on = general.signed_on
    general.save()
    assert _resources(fhir, "Media") == []


def test_paging_visits_every_match_once_in_a_stable_order(records: Any, fhir: Any) -> None:
    expected = [o["id"] for o in _resources(fhir, "Observation")]
    assert len(expected) >= 4
    seen: list[str] = []
    bundle = fhir.json("Observation", {"_count": 1})
    while True:
        assert bundle["total"] == len(expected)
        seen += [e["resource"]["id"] for e in bundle["entry"]]
        links = {link["relation"]: link["url"] for link in bundle["link"]}
        if "next" not in links:
            break
        bundle = fhir.json(links["next"].split("/fhir/R4/", 1)[1])
    assert seen == expected


def test_search_pages_run_a_bounded_number_of_queries(
    records: Any, fhir: Any, django_assert_max_num_queries: Any
) -> None:
    for rtype in resource_types():
        includes = {"_include": f"{rtype.name}:{rtype.includes[0].param}"} if rtype.includes else {}
        # auth (token, membership), per source a count and a page (+ its prefetches), the
        # organization's staff once, includes, and the audit insert.
        budget = 8 + 6 * len(rtype.sources)
        with django_assert_max_num_queries(budget):
            fhir.json(rtype.name, {"_count": 200, **includes})


def test_no_read_search_or_include_returns_another_organizations_data(
    clinic: Any, other_clinic: Any, both: Any
) -> None:
    mine, theirs = both
    fhir = fhir_for(clinic.members["admin"])
    other_patient = f"Patient/{other_clinic.patient.pk}"
    for rtype in resource_types():
        bundle = fhir.json(rtype.name, {"_count": 200})
        text = json.dumps(bundle)
        assert other_patient not in text, rtype.name
        ids = {e["resource"]["id"] for e in bundle["entry"]}
        for entry in fhir_for(other_clinic.members["admin"]).json(rtype.name)["entry"]:
            other_id = entry["resource"]["id"]
            assert other_id not in ids, (rtype.name, other_id)
            assert fhir.get(f"{rtype.name}/{other_id}").status_code == 404
        for include in rtype.includes:
            bundle = fhir.json(rtype.name, {"_include": f"{rtype.name}:{include.param}"})
            assert other_patient not in json.dumps(bundle)
    # Searching by the other clinic's patient finds nothing.
    assert fhir.json("Observation", {"patient": other_patient})["total"] == 0
    assert fhir.json("Procedure", {"based-on": f"CarePlan/{theirs['plan'].pk}"})["total"] == 0


def test_reception_may_not_read_clinical_resources(records: Any, clinic: Any) -> None:
    reception = fhir_for(clinic.members["reception"])
    response = reception.get("Procedure")
    assert response.status_code == 403
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"
    assert reception.get("Patient").status_code == 200


def test_a_search_page_costs_the_same_queries_for_one_record_or_many(clinic: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fhir = fhir_for(clinic.members["admin"])
    populate(clinic, 0)

    def costs() -> dict[str, int]:
        out = {}
        for rtype in resource_types():
            names = [f"{rtype.name}:{i.param}" for i in rtype.includes]
            includes = {"_include": names} if names else {}
            with CaptureQueriesContext(connection) as queries:
                fhir.json(rtype.name, {"_count": 200, **includes})
            out[rtype.name] = len(queries)
        return out

    fhir.json("Organization")  # the token's first use records it: not part of a search
    one = costs()
    populate(clinic, 1)
    populate(clinic, 2)
    assert costs() == one
