"""One source of truth: for every resource of the demo clinic, the Bulk Data export's ndjson
line (rows read as tuples, serialized once) and the read API's answer (``GET /fhir/R4/<type>/<id>``)
are the same JSON, meta included; every exported line validates."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fhir_helpers import Fhir, fhir_for, populate, validate  # type: ignore[import-not-found]

from mesocare.clinics.models import Membership
from mesocare.demo.data import load_demo
from mesocare.fhir.bulk import export

pytestmark = pytest.mark.django_db
ASYNC = {"HTTP_PREFER": "respond-async", "HTTP_ACCEPT": "application/fhir+json"}


@pytest.fixture
def demo(monkeypatch: Any, tmp_path: Any, settings: Any) -> Any:
    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")
    return load_demo()


def _export_equals_read(fhir: Fhir) -> dict[str, int]:
    kicked = fhir.get("$export", {}, **ASYNC)
    assert kicked.status_code == 202, kicked.content
    status_path = kicked["Content-Location"].split("/fhir/R4/", 1)[1]
    export.run_export(status_path.rsplit("/", 1)[1])
    manifest = fhir.json(status_path)
    counts: dict[str, int] = {}
    for item in manifest["output"]:
        response = fhir.get(item["url"].split("/fhir/R4/", 1)[1])
        text = b"".join(response.streaming_content).decode()
        for line in text.splitlines():
            exported = json.loads(line)
            validate(exported)
            read = fhir.json(f"{exported['resourceType']}/{exported['id']}")
            assert read == exported, (exported["resourceType"], exported["id"])
            counts[exported["resourceType"]] = counts.get(exported["resourceType"], 0) + 1
    return counts


def test_every_exported_resource_is_what_the_read_api_answers(demo: Any) -> None:
    admin = Membership.objects.get(user__email="admin@demo.mesocare.test")
    counts = _export_equals_read(fhir_for(admin))
    # The fast-path types (tuples, child rows) and the others are all in the comparison.
    for name in ("Patient", "Appointment", "Procedure", "MedicationAdministration", "CarePlan"):
        assert counts.get(name, 0) > 0, name


def test_export_and_read_agree_on_every_record_kind(
    clinic: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path / "private"
    populate(clinic)
    counts = _export_equals_read(fhir_for(clinic.members["admin"]))
    for name in ("Patient", "Appointment", "Procedure", "MedicationAdministration", "CarePlan"):
        assert counts.get(name, 0) > 0, name
