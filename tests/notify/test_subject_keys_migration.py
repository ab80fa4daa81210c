"""The integers that named an appointment, plan or session become foreign keys, and the
migration keeps every row: a row naming a row that no longer exists keeps an empty key and is
printed, never dropped (notify 0004-0006, portal 0003-0005)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("notify", "0003_alert_kind_data_request"), ("portal", "0002_portal_accounts")]
AFTER = [
    ("notify", "0006_outbox_subject_keys_drop_refs"),
    ("portal", "0005_appointment_and_session_keys_drop_refs"),
]
MISSING = 987_654


@pytest.fixture(autouse=True)
def _latest_schema_after() -> Any:
    """Going back to notify 0003 unapplies every migration that depends on the later ones,
    in other apps too (a component's recall copies, for one); the tests after this one need
    the whole schema back."""
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


def _migrate(targets: list[tuple[str, str]]) -> Any:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


def test_refs_become_keys_and_orphans_are_kept_and_reported(clinic, make, capsys):
    appointment = make.appointment()
    session = make.session(appointment=appointment)
    org, patient = clinic.org.pk, clinic.patient.pk
    old = _migrate(BEFORE)
    try:
        message = old.get_model("notify", "OutboxMessage")
        common = {
            "organization_id": org,
            "patient_id": patient,
            "kind": "reminder",
            "channel": "email",
            "template": "reminder",
            "due_at": timezone.now(),
        }
        linked = message.objects.create(
            **common,
            idempotency_key="linked",
            appointment_ref=appointment.pk,
            session_ref=session.pk,
        )
        orphan = message.objects.create(
            **common, idempotency_key="orphan", appointment_ref=MISSING, plan_ref=MISSING
        )
        precare = old.get_model("portal", "PreCareConfirmation")
        kept = precare.objects.create(
            organization_id=org, patient_id=patient, appointment_ref=appointment.pk
        )
        lost = precare.objects.create(
            organization_id=org, patient_id=patient, appointment_ref=MISSING
        )
        checkin = old.get_model("portal", "CheckInResponse")
        answered = checkin.objects.create(
            organization_id=org, patient_id=patient, session_ref=session.pk, when="24h", pain_vas=2
        )
        capsys.readouterr()
    finally:
        new = _migrate(AFTER)
    report = capsys.readouterr().out

    message = new.get_model("notify", "OutboxMessage")
    assert message.objects.count() == 2  # nothing dropped
    row = message.objects.get(pk=linked.pk)
    assert (row.appointment_id, row.session_id, row.plan_id) == (appointment.pk, session.pk, None)
    row = message.objects.get(pk=orphan.pk)
    assert (row.appointment_id, row.plan_id) == (None, None)

    precare = new.get_model("portal", "PreCareConfirmation")
    assert precare.objects.get(pk=kept.pk).appointment_id == appointment.pk
    assert precare.objects.get(pk=lost.pk).appointment_id is None
    checkin = new.get_model("portal", "CheckInResponse")
    assert checkin.objects.get(pk=answered.pk).session_id == session.pk

    # Three orphan links, each printed with the row that kept it.
    orphan_lines = [line for line in report.splitlines() if "does not exist" in line]
    assert len(orphan_lines) == 3, report
    assert "OutboxMessage: 1 row(s) name a scheduling.Appointment" in report
    assert "OutboxMessage: 1 row(s) name a plans.TreatmentPlan" in report
    assert "PreCareConfirmation: 1 row(s) name a scheduling.Appointment" in report
    assert f"(rows {orphan.pk})" in report and f"(rows {lost.pk})" in report
