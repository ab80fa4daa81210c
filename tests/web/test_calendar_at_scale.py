"""The calendar reads one window of the (organization, start) index, not every appointment before
the day shown: appointments last at most twelve hours, so one that reaches into the day started
at most twelve hours before it. Every way in keeps that true, the FHIR import included."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from mesocare.audit.models import AuditEvent
from mesocare.core.scheduling.durations import MAX_DURATION_MIN
from mesocare.fhir.importer.bulk_import import import_export
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.appointments import list_appointments

pytestmark = pytest.mark.django_db
ROME = zoneinfo.ZoneInfo("Europe/Rome")
DAY = dt.date(2030, 4, 2)
MIDNIGHT = dt.datetime(2030, 4, 2, tzinfo=ROME)


def test_appointments_reaching_into_the_window_are_listed_however_long(
    clinic: Any, make: Any
) -> None:
    longest = make.appointment(
        start=MIDNIGHT - dt.timedelta(minutes=MAX_DURATION_MIN - 30), minutes=MAX_DURATION_MIN
    )
    make.appointment(start=MIDNIGHT - dt.timedelta(hours=13), minutes=60)  # over the day before
    listed = list_appointments(
        clinic.actor("reception"),
        start_from=MIDNIGHT,
        start_before=MIDNIGHT + dt.timedelta(days=1),
    )
    assert [a.pk for a in listed] == [longest.pk]


def test_the_day_calendar_shows_an_appointment_from_the_night_before_and_reads_a_window(
    web: Callable[[str], Any], clinic: Any, make: Any
) -> None:
    overnight = make.appointment(start=MIDNIGHT - dt.timedelta(minutes=30), minutes=90)
    with CaptureQueriesContext(connection) as queries:
        html = web("reception").get("/calendar", {"date": DAY.isoformat()}).content.decode()
    assert html
    read = AuditEvent.objects.for_org(clinic.org).filter(object_type="clinics.location").last()
    assert read is not None and read.summary.endswith(": 1 appointments shown")
    assert overnight.end > MIDNIGHT > overnight.start
    listing = [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith('SELECT "scheduling_appointment"."id"')
    ]
    assert listing and all('"scheduling_appointment"."start" >' in sql for sql in listing)


def _participants() -> list[dict[str, Any]]:
    return [
        {"actor": {"reference": "Patient/pat-1"}, "status": "accepted"},
        {"actor": {"reference": "Practitioner/doc-1"}, "status": "accepted"},
        {"actor": {"reference": "Location/loc-1"}, "status": "accepted"},
    ]


def test_a_fhir_import_skips_an_appointment_longer_than_twelve_hours(
    clinic: Any, tmp_path: Path
) -> None:
    resources = [
        {"resourceType": "Patient", "id": "pat-1", "name": [{"family": "Lunga", "given": ["Ada"]}],
         "gender": "female", "birthDate": "1980-02-03"},
        {"resourceType": "Practitioner", "id": "doc-1",
         "name": [{"family": "Bianchi", "given": ["Marco"]}],
         "telecom": [{"system": "email", "value": "marco.bianchi@example.org"}]},
        {"resourceType": "Location", "id": "loc-1", "name": "Sede Torino"},
        {"resourceType": "Appointment", "id": "long", "status": "booked",
         "start": "2030-04-01T08:00:00+02:00", "end": "2030-04-01T20:30:00+02:00",
         "participant": _participants()},
        {"resourceType": "Appointment", "id": "day", "status": "booked",
         "start": "2030-04-02T08:00:00+02:00", "end": "2030-04-02T20:00:00+02:00",
         "participant": _participants()},
    ]  # fmt: skip
    folder = tmp_path / "export"
    folder.mkdir()
    by_type: dict[str, list[str]] = {}
    for resource in resources:
        by_type.setdefault(resource["resourceType"], []).append(json.dumps(resource))
    for name, lines in by_type.items():
        (folder / f"{name}.ndjson").write_text("\n".join(lines) + "\n")

    report = import_export(clinic.actor(), folder, source="long")

    skipped = {row.external_id: "; ".join(row.reasons) for row in report.skipped}
    assert skipped == {"Appointment/long": "the appointment lasts longer than 12 hours"}
    kept = Appointment.objects.for_org(clinic.org).filter(start__year=2030)
    assert [a.duration_min for a in kept] == [MAX_DURATION_MIN]
