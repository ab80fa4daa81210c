"""The audit log page: filters, pagination, CSV export (itself audited), patient audit tab."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

import pytest

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.audit.services import record

pytestmark = pytest.mark.django_db


def _events(clinic: Any, n: int) -> None:
    admin, reception = clinic.actor("admin"), clinic.actor("reception")
    for i in range(n):
        record(admin, AuditAction.READ, clinic.patient, patient_id=clinic.patient.pk, channel="web")
        record(reception, AuditAction.UPDATE, clinic.room, summary=f"room change {i}")


def test_audit_log_filters_by_actor_action_object_and_patient(
    web: Callable[[str], Any], clinic: Any
) -> None:
    _events(clinic, 3)
    client = web("auditor")
    reception_id = clinic.user("reception").pk
    html = client.get("/audit", {"actor": reception_id}).content.decode()
    assert "room change 2" in html
    assert "3 events" in html
    html = client.get("/audit", {"action": "read", "patient": clinic.patient.pk}).content.decode()
    assert "3 events" in html
    assert "Giulia Rossi" in html
    html = client.get("/audit", {"object_type": "clinics.room"}).content.decode()
    assert "3 events" in html


def test_audit_log_rejects_a_reversed_date_range_beside_the_field(
    web: Callable[[str], Any],
) -> None:
    html = web("admin").get("/audit", {"date_from": "2024-05-02", "date_to": "2024-05-01"})
    assert 'id="id_date_to_error"' in html.content.decode()


def test_audit_log_never_shows_another_organizations_events(
    web: Callable[[str], Any], clinic: Any, other_clinic: Any
) -> None:
    record(other_clinic.actor("admin"), AuditAction.UPDATE, other_clinic.room, summary="secret")
    assert "secret" not in web("admin").get("/audit").content.decode()


def test_audit_log_paginates_with_bounded_queries(
    web: Callable[[str], Any], clinic: Any, django_assert_max_num_queries: Any
) -> None:
    _events(clinic, 40)
    client = web("admin")
    with django_assert_max_num_queries(12):
        response = client.get("/audit")
    assert "Page 1 of 2" in response.content.decode()
    with django_assert_max_num_queries(16):
        client.get(f"/patients/{clinic.patient.pk}/audit")


def test_csv_export_contains_the_filtered_rows_and_is_audited(
    web: Callable[[str], Any], clinic: Any
) -> None:
    _events(clinic, 2)
    response = web("auditor").get("/audit/export.csv", {"action": "update"})
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:3] == ["at", "actor_label", "action"]
    assert {r[2] for r in rows[1:]} == {"update"}
    assert len(rows) == 3
    export = AuditEvent.objects.get(action="export")
    assert export.actor_id == clinic.user("auditor").pk
    assert "2 rows" in export.summary
    assert "action=update" in export.summary
