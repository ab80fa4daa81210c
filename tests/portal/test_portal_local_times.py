"""The portal shows appointment times on the location's wall clock, with its zone."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.urls import reverse

from tests.factories import portal_client

pytestmark = pytest.mark.django_db


def test_upcoming_and_past_appointments_are_in_the_locations_zone(clinic: Any, make: Any) -> None:
    clinic.location.timezone = "America/New_York"
    clinic.location.save()
    patient = make.patient(email="anna@example.org")
    future = dt.datetime(2031, 1, 6, 17, 0, tzinfo=dt.UTC)  # 12:00 in New York (EST)
    past = dt.datetime(2026, 7, 6, 16, 0, tzinfo=dt.UTC)  # 12:00 in New York (EDT)
    with transaction.atomic():
        make.appointment(patient=patient, start=future)
        make.appointment(patient=patient, start=past)
    html = portal_client(patient).get(reverse("portal:home")).content.decode()
    assert "Mon 6 Jan 2031, 12:00 EST" in html
    assert "6 Jul 2026, 12:00 EDT" in html
    assert "17:00" not in html and "16:00" not in html
