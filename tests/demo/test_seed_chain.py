"""`mesocare seed --scale N`: a chain of clinics written with COPY is data the app works with.

Seeds 300 patients on PostgreSQL, then opens a seeded clinic's staff pages, API and FHIR
resources as its staff would, and checks the invariants the database enforces (the exclusion
constraints check every appointment as it is loaded) and those it does not (every row of a
patient in the patient's organization, histories in the proportions asked for).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client

from mesocare.accounts.models import ApiToken
from mesocare.audit.models import AuditEvent
from mesocare.charting.models import CocktailComponent, TreatmentSession
from mesocare.clinics.models import Location, Membership, Organization
from mesocare.notify.models import OutboxMessage
from mesocare.patients.models import Patient
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.scheduling.models import Appointment

PATIENTS = 300
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="COPY is PostgreSQL's: the seeder refuses SQLite"
)


@pytest.fixture(scope="module")
def seeded(django_db_setup: Any, django_db_blocker: Any) -> Iterator[str]:
    """One chain for the module (COPY commits on its own connections); flushed afterwards."""
    if connection.vendor != "postgresql":
        yield ""
        return
    with django_db_blocker.unblock():
        out = io.StringIO()
        call_command(
            "seed_chain", scale=PATIENTS, organizations=2, locations=4, workers=1,
            no_progress=True, stdout=out,
        )  # fmt: skip
        try:
            yield out.getvalue()
        finally:
            call_command("flush", "--noinput", verbosity=0)


@pytest.fixture
def chain(seeded: str, db: Any) -> str:
    return seeded


@on_postgres
def test_the_chain_has_histories_in_the_proportions_asked_for(chain: str) -> None:
    assert Organization.objects.filter(slug__startswith="chain-").count() == 2
    assert Location.objects.count() == 4
    assert Patient.objects.count() == PATIENTS
    per_patient = {
        model: model.objects.count() / PATIENTS
        for model in (Appointment, TreatmentPlan, CocktailComponent, OutboxMessage, AuditEvent)
    }
    assert 4.5 <= per_patient[Appointment] <= 5
    assert 1.8 <= per_patient[TreatmentPlan] <= 2
    assert 15 <= per_patient[CocktailComponent] <= 25
    assert 12 <= per_patient[OutboxMessage] <= 16
    assert per_patient[AuditEvent] == 40
    assert PlannedSession.objects.count() >= 5 * PATIENTS
    assert OutboxMessage.objects.filter(status="sent").count() > OutboxMessage.objects.count() / 2
    assert f"Seeded {PATIENTS:,} patients" in chain


@on_postgres
def test_the_audit_trail_lies_in_its_monthly_partitions(chain: str) -> None:
    from mesocare.audit.partitions import DEFAULT_PARTITION

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {DEFAULT_PARTITION}")
        assert cursor.fetchone()[0] == 0
    assert AuditEvent.objects.count() == 40 * PATIENTS


@on_postgres
def test_no_two_active_appointments_overlap(chain: str) -> None:
    with connection.cursor() as cursor:
        for column in ("practitioner_id", "room_id", "patient_id"):
            cursor.execute(
                f"""SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
                    ON a.{column} = b.{column} AND a.id < b.id
                   AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
                 WHERE a.status IN ('booked', 'checked_in', 'completed')
                   AND b.status IN ('booked', 'checked_in', 'completed')"""
            )
            assert cursor.fetchone()[0] == 0, column
        cursor.execute(
            "SELECT count(*) FROM pg_constraint WHERE conname LIKE 'appointment_%_no_overlap'"
        )
        assert cursor.fetchone()[0] == 3  # in place during the load, checking every row


@on_postgres
def test_every_row_stays_in_its_patients_organization(chain: str) -> None:
    with connection.cursor() as cursor:
        for table in ("scheduling_appointment", "plans_treatmentplan", "charting_treatmentsession",
                      "notify_outboxmessage", "audit_auditevent"):  # fmt: skip
            cursor.execute(
                f"SELECT count(*) FROM {table} t JOIN patients_patient p ON p.id = t.patient_id "
                "WHERE p.organization_id <> t.organization_id"
            )
            assert cursor.fetchone()[0] == 0, table
        cursor.execute(
            "SELECT count(*) FROM charting_cocktailcomponent c "
            "JOIN inventory_productlot l ON l.id = c.lot_id "
            "JOIN charting_injectionrecord i ON i.id = c.injection_id "
            "JOIN charting_treatmentsession s ON s.id = i.session_id "
            "WHERE l.location_id <> s.location_id"
        )
        assert cursor.fetchone()[0] == 0
        # A component's copies of its injection's session, number and zone (the recall reads them).
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE (c.session_id, c.injection_n, c.zone_code) "
            "IS DISTINCT FROM (i.session_id, i.n, i.zone_code)) FROM charting_cocktailcomponent c "
            "JOIN charting_injectionrecord i ON i.id = c.injection_id"
        )
        components, wrong = cursor.fetchone()
        assert components > 0 and wrong == 0


@on_postgres
def test_a_seeded_clinic_works_in_the_staff_pages_the_api_and_fhir(chain: str) -> None:
    org = Organization.objects.get(slug="chain-01")
    practitioner = Membership.objects.filter(organization=org, role="practitioner").first()
    owner = Membership.objects.get(organization=org, role="admin")
    assert practitioner is not None
    session = TreatmentSession.objects.filter(organization=org, signed_at__isnull=False).first()
    assert session is not None
    patient, plan = session.patient, session.planned_session.plan  # type: ignore[union-attr]
    day = session.started_at.date().isoformat()
    web = Client()
    web.force_login(practitioner.user)
    for url in (
        "/",
        f"/patients/{patient.pk}",
        f"/plans/{plan.pk}",
        f"/sessions/{session.pk}",
        f"/calendar?location={session.location_id}&date={day}",
        f"/calendar?location={session.location_id}&date={day}&view=week",
        "/patients?q=" + patient.family_name[:3],
    ):
        response = web.get(url)
        assert response.status_code == 200, url
    admin = Client()
    admin.force_login(owner.user)
    assert admin.get(f"/audit?patient={patient.pk}").status_code == 200
    assert admin.get(f"/patients/{patient.pk}/audit").status_code == 200
    _token, raw = ApiToken.issue(owner)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    listed = api.get("/api/v1/patients", {"q": patient.family_name[:3], "limit": 25})
    assert listed.status_code == 200
    assert listed.json()["items"]
    assert api.get(f"/api/v1/patients/{patient.pk}").status_code == 200
    for path in (f"Patient/{patient.pk}", f"Appointment?patient={patient.pk}",
                 f"Procedure?patient={patient.pk}", f"CarePlan?patient={patient.pk}"):  # fmt: skip
        response = api.get(f"/fhir/R4/{path}", HTTP_ACCEPT="application/fhir+json")
        assert response.status_code == 200, (path, response.content[:300])


@pytest.mark.django_db
def test_the_scale_seeder_refuses_sqlite_with_a_reason(monkeypatch: Any) -> None:
    monkeypatch.setattr(connection, "vendor", "sqlite")  # the PostgreSQL pass too
    with pytest.raises(CommandError, match="needs PostgreSQL"):
        call_command("seed_chain", scale=10, no_progress=True, stdout=io.StringIO())


@pytest.mark.django_db
def test_mesocare_seed_scale_on_sqlite_says_why_it_stops(monkeypatch: Any) -> None:
    monkeypatch.setattr(connection, "vendor", "sqlite")  # the PostgreSQL pass too
    from mesocare.cli import main

    with pytest.raises(SystemExit, match="needs PostgreSQL"):
        main(["seed", "--scale", "10"])
