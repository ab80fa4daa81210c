"""The demo clinic through the FHIR API: every resource type, read and searched, validates
with `fhir.resources` (R4B) and loads in `fhirclient`; paging visits every match once."""

from __future__ import annotations

from typing import Any

import pytest
from fhir_helpers import fhir_for, validate  # type: ignore[import-not-found]

from mesocare.clinics.models import Membership
from mesocare.demo.data import load_demo
from mesocare.fhir.registry import resource_types

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(monkeypatch: Any, tmp_path: Any, settings: Any) -> Any:
    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")
    return load_demo()


def _all_pages(fhir: Any, type_name: str, count: int) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    bundle = fhir.json(type_name, {"_count": count})
    total = bundle["total"]
    while True:
        validate(bundle)
        entries.extend(bundle.get("entry", []))
        next_links = [link["url"] for link in bundle["link"] if link["relation"] == "next"]
        if not next_links:
            break
        bundle = fhir.json(next_links[0].split("/fhir/R4/", 1)[1])
    assert len(entries) == total
    return entries


def _patient_of(resource: dict[str, Any]) -> str | None:
    for key in ("patient", "subject"):
        reference = resource.get(key, {}).get("reference", "")
        if reference.startswith("Patient/"):
            return str(reference)
    return None


def _searches_find(fhir: Any, rtype: Any, resource: dict[str, Any]) -> None:
    """The common search parameters find a resource the server returned."""
    searches: list[dict[str, str]] = [
        {"_id": resource["id"]},
        {"_lastUpdated": f"ge{resource['meta']['lastUpdated']}", "_id": resource["id"]},
    ]
    patient = _patient_of(resource)
    if patient is not None:
        searches += [{"patient": patient}, {"subject": patient.split("/")[1]}]
    for params in searches:
        bundle = fhir.json(rtype.name, params)
        validate(bundle)
        assert resource["id"] in {e["resource"]["id"] for e in bundle["entry"]}, params


def test_every_resource_of_the_demo_clinic_validates(demo: Any) -> None:
    admin = Membership.objects.get(user__email="admin@demo.mesocare.test")
    fhir = fhir_for(admin)
    seen: dict[str, int] = {}
    for rtype in resource_types():
        entries = _all_pages(fhir, rtype.name, 100)
        ids = [e["resource"]["id"] for e in entries]
        assert len(ids) == len(set(ids)), rtype.name
        for entry in entries:
            resource = entry["resource"]
            assert resource["resourceType"] == rtype.name
            validate(resource)
        seen[rtype.name] = len(entries)
        if entries:
            first = entries[0]["resource"]
            read = fhir.json(f"{rtype.name}/{first['id']}")
            assert read == first
            _searches_find(fhir, rtype, first)
    empty = [name for name, n in seen.items() if n == 0]
    assert not empty, f"the demo clinic has no {empty}"
