"""Lapsed patients and their one-click recall; booked against available hours per week."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from reports_cases import lapsed_cohort, week_of_hours

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.errors import Conflict, Forbidden
from mesocare.notify.choices import MessageKind
from mesocare.notify.models import OutboxMessage
from mesocare.reports.common import Filters
from mesocare.reports.lapsed import lapsed_patients, recall
from mesocare.reports.utilisation import utilisation

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")
TODAY = dt.date(2026, 12, 7)
YEAR = Filters(dt.date(2026, 1, 1), TODAY)


def test_lapsed_are_overdue_completed_courses_with_nothing_booked(clinic: Any, make: Any) -> None:
    plans = lapsed_cohort(make)
    rows = lapsed_patients(clinic.actor("reception"), YEAR, today=TODAY)
    assert [(r.patient, r.days_overdue) for r in rows] == [
        ("Anna Lapsed", 36),
        ("Carla Missed", 17),
        ("Dora Silent", 7),
    ]
    assert rows[0].plan_id == plans["anna"].pk
    read = AuditEvent.objects.filter(action=AuditAction.READ, object_type="plans.treatmentplan")
    assert read.count() == 1


def test_one_click_recall_is_queued_once_and_audited(clinic: Any, make: Any) -> None:
    plans = lapsed_cohort(make)
    desk = clinic.actor("reception")
    message, queued = recall(desk, plans["anna"].pk, today=TODAY)
    assert queued and message.kind == MessageKind.MAINTENANCE_RECALL
    again, queued_again = recall(desk, plans["anna"].pk, today=TODAY)
    assert (again.pk, queued_again) == (message.pk, False)
    assert OutboxMessage.objects.filter(plan_id=plans["anna"].pk).count() == 1
    created = AuditEvent.objects.filter(
        action=AuditAction.CREATE, patient_id=plans["anna"].patient_id
    )
    assert created.count() == 1
    [anna] = [r for r in lapsed_patients(desk, YEAR, today=TODAY) if r.plan_id == plans["anna"].pk]
    assert anna.recalled_at == message.created_at


def test_recall_refuses_what_is_not_lapsed_and_who_gets_no_messages(
    clinic: Any, make: Any, other_clinic: Any
) -> None:
    plans = lapsed_cohort(make)
    desk = clinic.actor("reception")
    with pytest.raises(Conflict) as not_due:
        recall(desk, plans["future"].pk, today=TODAY)
    assert not_due.value.code == "not_lapsed"
    with pytest.raises(Conflict) as silent:
        recall(desk, plans["dora"].pk, today=TODAY)
    assert silent.value.code == "no_channel"
    with pytest.raises(Forbidden):
        recall(clinic.actor("auditor"), plans["anna"].pk, today=TODAY)
    from mesocare.errors import NotFound

    with pytest.raises(NotFound):
        recall(other_clinic.actor("admin"), plans["anna"].pk, today=TODAY)
    assert not OutboxMessage.objects.filter(kind=MessageKind.MAINTENANCE_RECALL).exists()


TWO_WEEKS = Filters(dt.date(2026, 11, 30), dt.date(2026, 12, 13))


def test_utilisation_is_booked_over_working_hours_less_time_off(clinic: Any, make: Any) -> None:
    week_of_hours(clinic, make)
    report = utilisation(clinic.actor("auditor"), TWO_WEEKS)
    first, second = dt.date(2026, 11, 30), dt.date(2026, 12, 7)
    assert report["weeks"] == [first, second]
    [person] = report["practitioners"]
    assert person.available == {first: 40 * 60, second: 45 * 60}
    assert person.booked == {first: 195}
    assert person.rate == pytest.approx(195 / (85 * 60))
    [room] = report["rooms"]
    assert room.available == {first: 45 * 60, second: 45 * 60}
    assert room.booked == {first: 195}
    assert report["totals"]["room"][second] == (0, 45 * 60)
    filtered = utilisation(
        clinic.actor("auditor"),
        Filters(TWO_WEEKS.date_from, TWO_WEEKS.date_to, practitioner_id=clinic.members["admin"].pk),
    )
    assert filtered["practitioners"] == [] and filtered["rooms"] == []
