"""The account tab's "Visits to check out" gives each signed visit on the location's clock,
with its zone (not the server's UTC)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mesocare.lib.local_time import format_datetime

pytestmark = pytest.mark.django_db


def test_visits_to_check_out_show_the_local_signing_time_with_its_zone(till: Any) -> None:
    session = till.signed_session()
    client = Client()
    client.force_login(till.clinic.user("reception"))
    with timezone.override("UTC"):
        html = client.get(f"/patients/{till.clinic.patient.pk}/account").content.decode()
    expected = format_datetime(session.signed_at, till.clinic.location)
    assert expected.rsplit(" ", 1)[-1] in {"CET", "CEST"}
    assert "Visits to check out" in html
    assert expected in html
