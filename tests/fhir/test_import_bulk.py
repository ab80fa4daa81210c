"""`mesocare fhir import`: a Bulk Data export read into another organization: round trip of
the imported types, idempotence, and what is skipped and why."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from fhir_helpers import populate  # type: ignore[import-not-found]

from mesocare.fhir.bulk import export
from mesocare.fhir.bulk.models import ExportJob
from mesocare.fhir.importer.bulk_import import import_export
from mesocare.patients.models import Allergy, Patient

pytestmark = pytest.mark.django_db
VOLATILE = {"id", "meta", "managingOrganization", "recordedDate", "dateAsserted", "recorder"}
# The patient records (the whole clinic's round trip is tests/fhir/test_import_round_trip.py).
PATIENT_TYPES = ("Patient", "AllergyIntolerance", "MedicationStatement", "Condition")


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "private"


def export_dir(clinic: Any) -> Path:
    job = export.kick_off(
        clinic.actor(),
        level="system",
        params={"_type": ",".join(PATIENT_TYPES)},
        request_url="test",
        prefer="respond-async",
    )
    export.run_export(job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == "completed"
    return export.job_dir(job)


def normalized(directory: Path) -> dict[str, list[str]]:
    """Every resource of the export with its ids replaced by its patient's position."""
    resources = [
        json.loads(line)
        for path in sorted(directory.glob("*.ndjson"))
        for line in path.read_text().splitlines()
    ]
    patients = sorted(
        (r for r in resources if r["resourceType"] == "Patient"),
        key=lambda r: (r["name"][0]["family"], r["name"][0]["given"]),
    )
    index = {f"Patient/{p['id']}": f"Patient/#{n}" for n, p in enumerate(patients)}
    out: dict[str, list[str]] = {}
    for resource in resources:
        body = {k: v for k, v in resource.items() if k not in VOLATILE}
        for key in ("subject", "patient"):
            if key in body:
                body[key] = {"reference": index[body[key]["reference"]]}
        out.setdefault(resource["resourceType"], []).append(json.dumps(body, sort_keys=True))
    return {k: sorted(v) for k, v in out.items()}


def test_round_trip_into_a_fresh_organization_and_a_second_run_changes_nothing(
    clinic: Any, other_clinic: Any
) -> None:
    populate(clinic)
    Patient.objects.filter(pk=other_clinic.patient.pk).delete()
    first = export_dir(clinic)
    report = import_export(other_clinic.actor(), first, source="alpha")
    assert report.counts["skipped"] == 0, report.skipped
    second = export_dir(other_clinic)
    assert normalized(first) == normalized(second)
    before = (Patient.objects.count(), Allergy.objects.count())
    again = import_export(other_clinic.actor(), first, source="alpha")
    assert again.counts["created"] == 0
    assert again.counts["unchanged"] == report.counts["created"] + report.counts["matched"]
    assert (Patient.objects.count(), Allergy.objects.count()) == before


def test_other_types_invalid_resources_and_broken_lines_are_reported(
    clinic: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    directory = tmp_path / "export"
    directory.mkdir()
    patient = {
        "resourceType": "Patient",
        "id": "x1",
        "name": [{"family": "Nuova", "given": ["Ada"]}],
        "gender": "female",
        "birthDate": "1980-02-03",
    }
    (directory / "Patient.ndjson").write_text(
        json.dumps(patient)
        + "\n"
        + json.dumps({"resourceType": "Patient", "id": "x2", "birthDate": "3rd of May"})
        + "\n{not json\n"
    )
    (directory / "Device.ndjson").write_text(
        json.dumps({"resourceType": "Device", "id": "d"}) + "\n"
    )
    (directory / "AllergyIntolerance.ndjson").write_text(
        json.dumps(
            {
                "resourceType": "AllergyIntolerance",
                "id": "a1",
                "patient": {"reference": "Patient/nobody"},
                "code": {"text": "Nickel"},
            }
        )
        + "\n"
    )
    call_command(
        "fhir_import", str(directory), "--org=alpha", "--user=admin@alpha.test", "--source=other"
    )
    out = capsys.readouterr().out
    assert "1 created" in out and "4 skipped" in out
    assert "Device is not imported" in out
    assert "  Patient: 1 created, 1 skipped" in out
    assert "not valid R4" in out
    assert "not JSON" in out
    assert "Patient/nobody" in out
    assert Patient.objects.for_org(clinic.org).filter(family_name="Nuova").exists()
