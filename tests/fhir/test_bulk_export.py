"""Bulk Data export (FHIR Bulk Data Access IG 2.0.0): kick-off, polling, manifest, ndjson files
with the same token, cancel, 429, retention, organization scope, and validation of every line."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from fhir_helpers import Fhir, fhir_for, populate, validate  # type: ignore[import-not-found]

from mesocare.audit.models import AuditEvent
from mesocare.fhir.bulk import export
from mesocare.fhir.bulk.models import ExportJob

pytestmark = pytest.mark.django_db
ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "private"


def kick(fhir: Fhir, path: str = "$export", **params: str) -> Any:
    return fhir.get(path, params, **ASYNC)


def finish(fhir: Fhir, response: Any) -> dict[str, Any]:
    assert response.status_code == 202, response.content
    status_url = response["Content-Location"]
    path = status_url.split("/fhir/R4/", 1)[1]
    polled = fhir.get(path)
    assert polled.status_code == 202 and polled["Retry-After"] and "X-Progress" in polled
    export.run_export(path.rsplit("/", 1)[1])
    done = fhir.get(path)
    assert done.status_code == 200, done.content
    return json.loads(done.content)


def lines(fhir: Fhir, url: str) -> list[dict[str, Any]]:
    response = fhir.get(url.split("/fhir/R4/", 1)[1])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+ndjson"
    text = b"".join(response.streaming_content).decode()
    return [json.loads(line) for line in text.splitlines()]


def test_a_system_export_writes_every_type_and_each_line_validates(clinic: Any) -> None:
    populate(clinic)
    fhir = fhir_for(clinic.members["admin"])
    manifest = finish(fhir, kick(fhir))
    assert manifest["requiresAccessToken"] is True
    assert manifest["request"].endswith("/fhir/R4/$export")
    assert dt.datetime.fromisoformat(manifest["transactionTime"])
    types = {item["type"] for item in manifest["output"]}
    assert {"Patient", "Organization", "AllergyIntolerance"} <= types
    for item in manifest["output"]:
        resources = lines(fhir, item["url"])
        assert len(resources) == item["count"] > 0
        for resource in resources:
            assert resource["resourceType"] == item["type"]
            validate(resource)
    assert manifest["error"] == []
    assert AuditEvent.objects.filter(action="export", object_type="fhir_bulk.exportjob").exists()


def test_type_since_and_file_splitting(clinic: Any, settings: Any) -> None:
    settings.FHIR_EXPORT_FILE_LINES = 2
    from mesocare.patients.models import Patient

    for i in range(4):
        Patient.objects.create(
            organization=clinic.org,
            given_name=f"P{i}",
            family_name="Split",
            birth_date=dt.date(1980, 1, 1),
            sex_at_birth="female",
        )
    fhir = fhir_for(clinic.members["admin"])
    manifest = finish(fhir, kick(fhir, "Patient/$export", _type="Patient"))
    assert [item["count"] for item in manifest["output"]] == [2, 2, 1]
    future = (dt.datetime.now(dt.UTC) + dt.timedelta(days=1)).isoformat()
    manifest = finish(fhir, kick(fhir, _type="Patient", _since=future))
    assert manifest["output"] == []


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({}, {"HTTP_PREFER": ""}, 400),
        ({"_outputFormat": "text/csv"}, {}, 400),
        ({"_type": "Spaceship"}, {}, 400),
        ({"_since": "yesterday"}, {}, 400),
        ({"_elements": "id"}, {}, 400),
    ],
)
def test_bad_kick_offs_are_operation_outcomes(
    clinic: Any, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    fhir = fhir_for(clinic.members["admin"])
    response = fhir.get("$export", params, **{**ASYNC, **headers})
    assert response.status_code == status
    assert json.loads(response.content)["resourceType"] == "OperationOutcome"
    assert not ExportJob.objects.exists()


def test_no_token_is_401_and_too_many_exports_is_429(clinic: Any) -> None:
    assert Fhir(None).get("$export", **ASYNC).status_code == 401
    fhir = fhir_for(clinic.members["admin"])
    assert kick(fhir).status_code == 202
    assert kick(fhir).status_code == 202
    refused = kick(fhir)
    assert refused.status_code == 429 and refused["Retry-After"]


def test_cancel_removes_the_export_and_its_files(clinic: Any) -> None:
    fhir = fhir_for(clinic.members["admin"])
    manifest = finish(fhir, kick(fhir, _type="Patient"))
    job = ExportJob.objects.get()
    assert export.job_dir(job).exists()
    url = f"bulk-status/{job.id}"
    response = fhir.client.delete(f"/fhir/R4/{url}", **fhir.headers)
    assert response.status_code == 202
    assert not export.job_dir(job).exists()
    assert fhir.get(url).status_code == 404
    assert fhir.get(manifest["output"][0]["url"].split("/fhir/R4/", 1)[1]).status_code == 404


def test_files_expire_after_the_retention_period(clinic: Any) -> None:
    fhir = fhir_for(clinic.members["admin"])
    finish(fhir, kick(fhir, _type="Patient"))
    job = ExportJob.objects.get()
    assert export.purge_expired(dt.datetime.now(dt.UTC) + dt.timedelta(days=2)) == 1
    assert not export.job_dir(job).exists()
    assert fhir.get(f"bulk-status/{job.id}").status_code == 404


def test_another_organization_sees_neither_the_job_nor_the_files(
    clinic: Any, other_clinic: Any
) -> None:
    populate(other_clinic)
    fhir = fhir_for(clinic.members["admin"])
    manifest = finish(fhir, kick(fhir))
    names = {
        resource.get("family", "")
        for item in manifest["output"]
        if item["type"] == "Patient"
        for patient in lines(fhir, item["url"])
        for resource in patient.get("name", [])
    }
    assert "Stranger" not in names
    job = ExportJob.objects.get()
    stranger = fhir_for(other_clinic.members["admin"])
    assert stranger.get(f"bulk-status/{job.id}").status_code == 404
    assert stranger.get(manifest["output"][0]["url"].split("/fhir/R4/", 1)[1]).status_code == 404


def test_a_group_export_holds_the_patients_seen_at_the_location(clinic: Any) -> None:
    populate(clinic)
    from mesocare.patients.models import Patient

    Patient.objects.create(
        organization=clinic.org,
        given_name="Never",
        family_name="Seen",
        birth_date=dt.date(1980, 1, 1),
        sex_at_birth="female",
    )
    fhir = fhir_for(clinic.members["admin"])
    manifest = finish(fhir, kick(fhir, f"Group/{clinic.location.pk}/$export", _type="Patient"))
    patients = [p for item in manifest["output"] for p in lines(fhir, item["url"])]
    assert [p["id"] for p in patients] == [str(clinic.patient.pk)]
    assert kick(fhir, "Group/999999/$export").status_code == 404
