"""The test factories, loaded for every test as a pytest plugin (`pytest_plugins` in
tests/conftest.py): patients, plans, appointments, sessions and assessments built directly (the
booking and charting services have their own tests), as the `make` / `other_make` fixtures, and
`make_plan(clinic)` for modules that build a plan without the fixture, `portal_client(patient)`
for a browser signed in to the patient portal; plus the `journal` and `scratch_database_url`
fixtures of the messages tests.

Test modules import helpers from here (`from tests.factories import make_plan`), never from a
conftest (importlib mode cannot import those)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import import_module
from typing import Any

import pytest
from django.conf import settings
from django.http import HttpRequest
from django.test import Client
from django.utils import timezone

from mesocare.assessments.models import Assessment
from mesocare.catalog.models import Protocol, ProtocolVersion
from mesocare.catalog.snapshots import snapshot_protocol
from mesocare.charting.models import TreatmentSession
from mesocare.patients.models import Patient
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.portal.accounts import ensure_account
from mesocare.portal.models import PortalAccount
from mesocare.portal.session import sign_in
from mesocare.scheduling.models import Appointment

PROTOCOL = "cellulite_cocktail_nappage"  # pre_care_general + aftercare_body, hexsel-css


class Factory:
    def __init__(self, clinic: Any) -> None:
        self.clinic = clinic

    def protocol(self, code: str = PROTOCOL) -> Protocol:
        return Protocol.objects.get(organization__isnull=True, code=code)

    def patient(self, **kw: Any) -> Patient:
        fields = {
            "given_name": "Anna",
            "family_name": "Bianchi",
            "birth_date": dt.date(1985, 3, 2),
            "sex_at_birth": "female",
            "email": "anna@example.org",
            "preferred_channel": "email",
        }
        fields.update(kw)
        return Patient.objects.create(organization=self.clinic.org, **fields)

    def plan(
        self,
        patient: Patient | None = None,
        *,
        protocol: Protocol | None = None,
        status: str = "active",
        baseline: Decimal | int | None = None,
        start_on: dt.date | None = None,
        sessions: int = 4,
        **kw: Any,
    ) -> TreatmentPlan:
        protocol = protocol or self.protocol()
        version, _ = ProtocolVersion.objects.get_or_create(
            protocol=protocol, version=protocol.version, defaults={"snapshot": {}}
        )
        patient = patient or self.clinic.patient
        base = None
        if baseline is not None:
            base = self.assessment(patient, baseline, at=timezone.now() - dt.timedelta(days=90))
        plan = TreatmentPlan.objects.create(
            organization=self.clinic.org,
            patient=patient,
            protocol=protocol,
            protocol_version=version,
            baseline_assessment=base,
            status=status,
            sessions_planned=sessions,
            sessions_by_rule=sessions,
            interval_min_days=protocol.interval_min_days,
            interval_target_days=protocol.interval_target_days,
            interval_max_days=protocol.interval_max_days,
            response_check_session=protocol.response_check_session,
            maintenance_interval_days=protocol.maintenance_interval_days,
            session_duration_min=protocol.session_duration_min,
            room_kind=protocol.room_kind,
            start_on=start_on or timezone.localdate() - dt.timedelta(days=60),
            created_by=self.clinic.user("practitioner"),
            **kw,
        )
        if base is not None:
            Assessment.objects.filter(pk=base.pk).update(plan=plan)
        for i in range(1, sessions + 1):
            PlannedSession.objects.create(organization=self.clinic.org, plan=plan, index=i)
        return plan

    def assessment(
        self,
        patient: Patient,
        total: Decimal | int,
        *,
        at: dt.datetime | None = None,
        plan: TreatmentPlan | None = None,
        session_index: int | None = None,
        scale_id: str = "hexsel-css",
    ) -> Assessment:
        return Assessment.objects.create(
            organization=self.clinic.org,
            patient=patient,
            scale_id=scale_id,
            items={},
            total=Decimal(total),
            assessed_at=at or timezone.now(),
            assessed_by=self.clinic.user("practitioner"),
            plan=plan,
            session_index=session_index,
        )

    def appointment(
        self,
        *,
        start: dt.datetime | None = None,
        patient: Patient | None = None,
        plan: TreatmentPlan | None = None,
        index: int | None = None,
        minutes: int = 45,
    ) -> Appointment:
        start = start or timezone.now() + dt.timedelta(days=10)
        return Appointment.objects.create(
            organization=self.clinic.org,
            location=self.clinic.location,
            practitioner=self.clinic.members["practitioner"],
            room=self.clinic.room,
            patient=patient or self.clinic.patient,
            start=start,
            end=start + dt.timedelta(minutes=minutes),
            plan=plan,
            course_index=index if plan is not None else None,
            created_by=self.clinic.user("reception"),
        )

    def session(
        self,
        *,
        patient: Patient | None = None,
        plan: TreatmentPlan | None = None,
        index: int = 1,
        signed_at: dt.datetime | None = None,
        appointment: Appointment | None = None,
    ) -> TreatmentSession:
        planned = plan.planned_sessions.get(index=index) if plan is not None else None
        session = TreatmentSession.objects.create(
            organization=self.clinic.org,
            patient=patient or (plan.patient if plan else self.clinic.patient),
            practitioner=self.clinic.members["practitioner"],
            location=self.clinic.location,
            planned_session=planned,
            protocol=plan.protocol if plan else None,
            appointment=appointment,
            created_by=self.clinic.user("practitioner"),
        )
        if signed_at is not None:
            session.signed_at = signed_at
            session.signed_by = self.clinic.user("practitioner")
            session.save(update_fields=["signed_at", "signed_by"])
        return session


def make_plan(clinic: Any, **overrides: Any) -> TreatmentPlan:
    """A plan of the curated protocol with pre-care, its planned sessions, for `clinic`."""
    protocol = Protocol.objects.filter(organization__isnull=True, pre_care__isnull=False).first()
    assert protocol is not None, "the curated catalog is loaded after migrate"
    version = ProtocolVersion.objects.filter(protocol=protocol, version=protocol.version).first()
    if version is None:
        version = ProtocolVersion.objects.create(
            protocol=protocol, version=protocol.version, snapshot=snapshot_protocol(protocol)
        )
    values: dict[str, Any] = {
        "organization": clinic.org,
        "patient": clinic.patient,
        "protocol": protocol,
        "protocol_version": version,
        "sessions_planned": 4,
        "sessions_by_rule": 4,
        "interval_min_days": 5,
        "interval_target_days": 7,
        "interval_max_days": 14,
        "response_check_session": 2,
        "session_duration_min": 30,
        "room_kind": "facial",
        "created_by": clinic.user("practitioner"),
    }
    values.update(overrides)
    plan = TreatmentPlan.objects.create(**values)
    for index in range(1, plan.sessions_planned + 1):
        PlannedSession.objects.create(organization=clinic.org, plan=plan, index=index)
    return plan


def portal_client(who: Patient | PortalAccount, **client_options: Any) -> Client:
    """A test client signed in to the patient portal (by an emailed link) as a patient's own
    account or as the given account."""
    client = Client(**client_options)
    account = ensure_account(who) if isinstance(who, Patient) else who
    engine = import_module(settings.SESSION_ENGINE)
    request = HttpRequest()
    request.session = engine.SessionStore()
    assert sign_in(request, account, method="magic_link")
    request.session.save()
    client.cookies[settings.SESSION_COOKIE_NAME] = request.session.session_key
    return client


@pytest.fixture
def make(clinic: Any) -> Factory:
    return Factory(clinic)


@pytest.fixture
def other_make(other_clinic: Any) -> Factory:
    return Factory(other_clinic)


@pytest.fixture
def journal(settings: Any, tmp_path: Any) -> Any:
    """Email and SMS go to a JSON-lines journal that the tests read back."""
    settings.EMAIL_BACKEND = "mesocare.notify.channels.JournalEmailBackend"
    settings.SMS_BACKEND = "journal"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")
    settings.NOTIFY_QUIET_HOURS = ""
    settings.SITE_URL = "https://clinic.example"
    return tmp_path / "journal.jsonl"


@pytest.fixture
def scratch_database_url(tmp_path: Any) -> Any:
    """An empty database for subprocesses: a SQLite file, or on PostgreSQL a scratch
    database next to the test database (created and dropped here)."""
    import os

    import dj_database_url

    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        yield f"sqlite:///{tmp_path / 'scratch.sqlite3'}"
        return
    import psycopg

    cfg = dj_database_url.parse(url)
    name = f"{cfg['NAME']}_scratch_{os.getpid()}"
    admin = dict(
        host=cfg["HOST"] or None,
        port=cfg["PORT"] or None,
        user=cfg["USER"] or None,
        password=cfg["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )
    with psycopg.connect(**admin) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield url.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(**admin) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
