"""Photo use has one meaning: the answer of a photography consent. The reader
(`photo_consent_scope`), the forms and the demo clinic agree on it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mesocare.outcomes.services import photo_consent_scope
from mesocare.patients.models import Consent
from mesocare.patients.services import records

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 1, 10)


def _consent(clinic: Any, kind: str, photo_use: str) -> Consent:
    return records.add_consent(
        clinic.actor("practitioner"),
        clinic.patient,
        kind=kind,
        version="2026.1",
        signed_on=TODAY,
        photo_use=photo_use,
    )


def test_the_scope_is_the_photography_consents_answer(clinic: Any) -> None:
    _consent(clinic, "general", "clinical")
    assert photo_consent_scope(clinic.patient) == "clinical"
    _consent(clinic, "photo", "clinical_and_marketing")
    assert photo_consent_scope(clinic.patient) == "clinical_and_marketing"


def test_a_general_consent_cannot_grant_marketing_use_of_photos(clinic: Any) -> None:
    response = clinic.api("practitioner").post(
        f"patients/{clinic.patient.pk}/consents",
        {
            "kind": "general",
            "version": "2026.1",
            "signed_on": "2026-01-10",
            "photo_use": "clinical_and_marketing",
        },
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "photo_use"
    assert not Consent.objects.exists()


def test_the_demo_records_photo_use_where_the_reader_looks(
    monkeypatch: Any, tmp_path: Any, settings: Any
) -> None:
    from mesocare.demo.data import load_demo
    from mesocare.patients.models import Patient

    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")
    load_demo()
    marketing = Consent.objects.filter(photo_use="clinical_and_marketing")
    assert marketing.exists()
    assert set(marketing.values_list("kind", flat=True)) == {"photo"}
    patient = Patient.objects.get(pk=marketing.first().patient_id)
    assert photo_consent_scope(patient) == "clinical_and_marketing"
