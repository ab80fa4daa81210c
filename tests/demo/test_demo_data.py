"""`mesocare demo`: the demo clinic loads, is realistic, and loading it twice changes nothing."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from mesocare.clinics.models import Location, Membership, Room
from mesocare.patients.models import Allergy, Medication, Patient

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(monkeypatch: Any, tmp_path: Any, settings: Any) -> str:
    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    out = io.StringIO()
    call_command("demo_data", stdout=out)
    return out.getvalue()


def _counts() -> tuple[int, ...]:
    return tuple(
        m.objects.count() for m in (Patient, Location, Room, Membership, Allergy, Medication)
    )


def test_demo_prints_the_url_and_every_login(demo: str) -> None:
    assert "http://127.0.0.1:8000" in demo
    for email in (
        "admin",
        "practitioner",
        "practitioner2",
        "practitioner3",
        "practitioner4",
        "desk",
        "audit",
    ):
        assert f"{email}@demo.mesocare.test" in demo
    assert "demo-password-for-tests" in demo


def test_demo_data_is_rich_enough_to_show_every_feature(demo: str) -> None:
    assert Patient.objects.count() >= 50
    assert Location.objects.values("timezone").distinct().count() == 2
    assert Room.objects.count() >= 4
    assert Patient.objects.filter(pregnancy_status="pregnant").exists()
    assert Medication.objects.filter(drug_class="anticoagulant").exists()
    assert Allergy.objects.filter(allergen_family__code="soy").exists()
    assert Allergy.objects.filter(ingredient__code="lidocaine").exists()


def test_loading_the_demo_twice_duplicates_nothing(demo: str) -> None:
    before = _counts()
    call_command("demo_data", stdout=io.StringIO())
    assert _counts() == before


def test_demo_logins_work(demo: str) -> None:
    client = Client()
    response = client.post(
        "/login", {"username": "desk@demo.mesocare.test", "password": "demo-password-for-tests"}
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
