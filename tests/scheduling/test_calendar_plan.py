"""The calendar's plan on PostgreSQL: a location's week reads its own appointments through the
(organization, location, start) index, not every appointment of the organization in the week."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mesocare.clinics.models import Location, Room
from mesocare.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("plans are PostgreSQL's")


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def test_a_locations_week_reads_its_own_appointments_by_index(sched: Any, h: Any) -> None:
    other = Location.objects.create(organization=sched.org, name="Other", timezone="Europe/Rome")
    far = Room.objects.create(organization=sched.org, location=other, name="Far", kind="facial")
    start = h.at(h.day(-60), 8).astimezone(dt.UTC)
    rows = []
    for n in range(3000):  # a third here, two thirds at the other location, over four months
        here = n % 3 == 0
        at = start + dt.timedelta(minutes=60 * n)
        rows.append(
            Appointment(
                organization=sched.org,
                location=sched.location if here else other,
                practitioner=sched.members["practitioner" if here else "admin"],
                room=sched.room if here else far,
                patient=sched.patient,
                start=at,
                end=at + dt.timedelta(minutes=30),
                created_by=sched.user("reception"),
            )
        )
    Appointment.objects.bulk_create(rows)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE scheduling_appointment")
    week = Appointment.objects.filter(
        location=sched.location, start__gte=h.at(h.day(0), 0), start__lt=h.at(h.day(7), 0)
    ).count()
    assert 50 < week < 60
    client = Client()
    client.force_login(sched.user("reception"))
    with CaptureQueriesContext(connection) as queries:
        page = client.get(f"/calendar?location={sched.location.pk}&date={h.day(1)}&view=week")
    assert page.status_code == 200 and page.content.decode().count("data-appointment=") == week
    sql = next(q["sql"] for q in queries if q["sql"].startswith('SELECT "scheduling_appointment"'))
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}")
        (raw,) = cursor.fetchone()
        transaction.set_rollback(True)
    plan = raw if isinstance(raw, list) else json.loads(raw)
    steps = list(nodes(plan[0]["Plan"]))
    scans = [s for s in steps if s.get("Relation Name") == "scheduling_appointment"]
    indexes = [s["Index Name"] for s in steps if s.get("Index Name", "").startswith("appt")]
    assert len(scans) == 1 and indexes == ["appt_org_location_start"], steps
    assert scans[0]["Actual Rows"] == week
    # read beyond the week: the location's last twelve hours before it (appointments end by then)
    assert scans[0].get("Rows Removed by Filter", 0) <= 4
