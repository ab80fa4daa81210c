"""Group/<location id>: the patients seen at a location, the set `Group/<id>/$export` exports.
Read as an actual group of persons with its size, audited, another organization's is a 404."""

from __future__ import annotations

from typing import Any

import pytest
from fhir_helpers import fhir_for, populate, validate  # type: ignore[import-not-found]

from mesocare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_location_reads_as_the_group_of_its_patients(clinic: Any) -> None:
    populate(clinic)
    fhir = fhir_for(clinic.members["admin"])
    group = fhir.json(f"Group/{clinic.location.pk}")
    validate(group)
    assert group["type"] == "person" and group["actual"] is True
    assert group["quantity"] == 1  # the one patient with an appointment there
    assert clinic.location.name in group["name"]
    assert group["managingEntity"] == {"reference": f"Organization/{clinic.org.pk}"}
    response = fhir.get(f"Group/{clinic.location.pk}")
    assert response["ETag"] == f'W/"{group["meta"]["versionId"]}"'
    event = AuditEvent.objects.filter(object_type="fhir.Group", action="read").first()
    assert event is not None and event.channel == "fhir"


def test_the_group_counts_each_patient_once_and_follows_new_appointments(clinic: Any) -> None:
    populate(clinic)
    populate(clinic, n=3)  # the same patient again, other appointments
    fhir = fhir_for(clinic.members["admin"])
    assert fhir.json(f"Group/{clinic.location.pk}")["quantity"] == 1
    bundle = fhir.json("Group", {"actual": "true"})
    assert [e["resource"]["id"] for e in bundle["entry"]] == [str(clinic.location.pk)]
    assert fhir.json("Group", {"actual": "false"})["total"] == 0


def test_another_organizations_group_is_not_found(clinic: Any, other_clinic: Any) -> None:
    populate(other_clinic)
    fhir = fhir_for(clinic.members["admin"])
    outcome = fhir.json(f"Group/{other_clinic.location.pk}", status=404)
    assert outcome["resourceType"] == "OperationOutcome"
    bundle = fhir.json("Group")
    assert str(other_clinic.location.pk) not in {e["resource"]["id"] for e in bundle["entry"]}


def test_groups_are_not_written_by_a_system_export(
    clinic: Any, settings: Any, tmp_path: Any
) -> None:
    from mesocare.clinics.actor import Actor
    from mesocare.fhir.bulk import export

    actor = Actor(membership=clinic.members["admin"])
    names = {t.name for t in export.readable_types(actor, "system")}
    assert "Group" not in names and "Patient" in names
