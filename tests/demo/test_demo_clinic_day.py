"""The demo's clinic life (`mesocare.demo.clinic_day`): every screen shows real data right after
`make demo`, the story keeps the invariants, and loading again adds nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from django.utils.html import escape

from mesocare.assessments.models import Assessment
from mesocare.charting.models import (
    CocktailComponent,
    InjectionRecord,
    SideEffect,
    TreatmentSession,
)
from mesocare.clinics.models import Location, Membership
from mesocare.demo.data import load_demo
from mesocare.inventory.models import ProductLot, StockMovement
from mesocare.inventory.services.alerts import stock_alerts
from mesocare.inventory.services.stock import verify_on_hand
from mesocare.notify.models import Alert, OutboxMessage
from mesocare.outcomes.models import Measurement, Photo
from mesocare.plans.models import PlanEvent, TreatmentPlan
from mesocare.portal.models import CheckInResponse
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.models import Appointment

pytestmark = pytest.mark.django_db

# The first load measured about 11,600 queries on SQLite; this is a guard against a
# regression by an order of magnitude (a query per row somewhere), not a benchmark.
QUERY_BUDGET = 20_000
MODELS = (
    Assessment, TreatmentPlan, PlanEvent, Appointment, TreatmentSession, InjectionRecord,
    CocktailComponent, SideEffect, ProductLot, StockMovement, OutboxMessage, Alert,
    CheckInResponse, Measurement, Photo,
)  # fmt: skip


@pytest.fixture(autouse=True)
def demo_settings(monkeypatch: Any, tmp_path: Any, settings: Any) -> None:
    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")


def _load_counting() -> int:
    count = 0

    def counter(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal count
        count += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        load_demo()
    return count


def _counts() -> dict[str, int]:
    return {m.__name__: m.objects.count() for m in MODELS}


def _login(role_local: str) -> Client:
    client = Client()
    membership = Membership.objects.get(user__email=f"{role_local}@demo.mesocare.test")
    client.force_login(membership.user)
    return client


def test_the_clinic_day_has_every_kind_of_object_and_keeps_the_invariants() -> None:
    load_demo()
    counts = _counts()
    assert all(counts.values()), counts
    assert TreatmentPlan.objects.count() == 10

    # reviews: responding for most, review needed for one; two completed courses
    outcomes = Counter(TreatmentPlan.objects.values_list("review_outcome", flat=True))
    assert outcomes["responding"] >= 3
    assert outcomes["review_needed"] == 1
    assert TreatmentPlan.objects.filter(status="review_needed").count() == 1
    today = timezone.localdate()
    completed = TreatmentPlan.objects.filter(status="completed")
    assert completed.filter(maintenance_due_on__lt=today).count() == 1  # the lapsed patient
    assert completed.filter(maintenance_due_on__gt=today).count() == 1

    # no two active appointments overlap for a practitioner, a room or a patient
    active = list(Appointment.objects.filter(status__in=ACTIVE_STATUSES))
    for a, b in itertools.combinations(active, 2):
        if a.start < b.end and b.start < a.end:
            assert a.practitioner_id != b.practitioner_id
            assert a.room_id != b.room_id
            assert a.patient_id != b.patient_id

    # every lot's on hand is the sum of its movements; some stock alerts
    assert verify_on_hand() == []
    assert all(lot.on_hand_ml >= 0 for lot in ProductLot.objects.all())
    assert ProductLot.objects.filter(recalled=True).count() == 1
    admin = Membership.objects.get(user__email="admin@demo.mesocare.test")
    from mesocare.clinics.actor import Actor

    alerts = stock_alerts(Actor(membership=admin), today)
    assert alerts.low_stock and alerts.near_expiry

    # history and future on the calendar, at both locations today
    now = timezone.now()
    assert Appointment.objects.filter(start__lt=now, status="completed").exists()
    assert Appointment.objects.filter(start__gt=now, status="booked").exists()
    for location in Location.objects.all():
        local_today = timezone.localtime(now, location.tz).date()
        day = dt.datetime.combine(local_today, dt.time(), tzinfo=location.tz)
        assert Appointment.objects.filter(
            location=location, start__gte=day, start__lt=day + dt.timedelta(days=1)
        ).exists(), location.name
    # the story is in order: plans made before their first session, signed after the start
    for plan in TreatmentPlan.objects.all():
        first = Appointment.objects.filter(plan=plan).order_by("start").first()
        assert first is not None and plan.created_at < first.start
        assert all(e.at <= now for e in plan.events.all())
    for session in TreatmentSession.objects.filter(signed_at__isnull=False):
        assert session.started_at < session.signed_at <= now

    # messages in several states, one check-in alert of grade 3 or more, one overdue session
    statuses = set(OutboxMessage.objects.values_list("status", flat=True))
    assert {"sent", "pending", "failed"} <= statuses
    assert OutboxMessage.objects.filter(status="failed").count() == 1
    alert = Alert.objects.get(kind="check_in")
    assert alert.acknowledged_at is None
    assert CheckInResponse.objects.filter(max_grade__gte=3, alert=alert).count() == 1
    overdue = TreatmentSession.objects.filter(
        signed_at__isnull=True, started_at__lt=now - dt.timedelta(hours=24)
    )
    assert overdue.count() == 1


def test_loading_the_demo_again_adds_nothing_and_the_first_load_stays_in_budget() -> None:
    queries = _load_counting()
    assert queries < QUERY_BUDGET
    before = _counts()
    statuses = Counter(OutboxMessage.objects.values_list("status", flat=True))
    load_demo()
    assert _counts() == before
    assert Counter(OutboxMessage.objects.values_list("status", flat=True)) == statuses


def test_every_screen_shows_real_demo_data() -> None:
    load_demo()
    admin = _login("admin")
    now = timezone.now()

    alert = Alert.objects.get(kind="check_in")
    assert alert.patient is not None
    page = admin.get("/")
    assert page.status_code == 200
    body = page.content.decode()
    assert escape(alert.patient.full_name) in body  # the check-in alert
    assert "Sodium chloride 0.9%, 10 mL vials" in body  # the low-stock alert

    for location in Location.objects.all():
        local_today = timezone.localtime(now, location.tz).date()
        page = admin.get(f"/calendar?location={location.pk}&date={local_today.isoformat()}")
        assert page.status_code == 200
        day = dt.datetime.combine(local_today, dt.time(), tzinfo=location.tz)
        shown = Appointment.objects.filter(
            location=location, start__gte=day, start__lt=day + dt.timedelta(days=1)
        ).select_related("patient")
        assert any(escape(a.patient.full_name) in page.content.decode() for a in shown)

    page = admin.get("/stock")
    assert page.status_code == 200
    assert all(lot.lot_number in page.content.decode() for lot in ProductLot.objects.all()[:5])

    page = admin.get("/messages")
    assert page.status_code == 200
    failed = OutboxMessage.objects.select_related("patient").get(status="failed")
    page = admin.get("/messages?status=failed")
    shown_as = f"{failed.patient.family_name}, {failed.patient.given_name}"
    assert escape(shown_as) in page.content.decode()
    assert "Retry" in page.content.decode()

    page = admin.get("/reports/outcomes")
    assert page.status_code == 200
    plan = TreatmentPlan.objects.select_related("protocol").first()
    assert plan is not None
    assert escape(plan.protocol.name) in page.content.decode()
    page = admin.get("/reports/business")
    assert page.status_code == 200
    assert "Dr Marco Bellini" in page.content.decode() or "practitioner@" in page.content.decode()

    # the practitioner's to-do list: the session left unsigned for more than a day
    overdue = TreatmentSession.objects.select_related("patient", "practitioner__user").get(
        signed_at__isnull=True, started_at__lt=now - dt.timedelta(hours=24)
    )
    practitioner = _login(overdue.practitioner.user.email.split("@")[0])
    page = practitioner.get("/")
    assert page.status_code == 200
    assert f'href="/sessions/{overdue.pk}"' in page.content.decode()
