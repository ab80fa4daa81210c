"""Messages and alerts over the API and on staff pages (incl. the dashboard cards)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from mesocare.audit.models import AuditEvent
from mesocare.notify.models import Alert, OutboxMessage
from mesocare.notify.services import enqueue, raise_alert

pytestmark = pytest.mark.django_db


def add(clinic, key, status="pending", kind="waitlist_offer", patient=None, **extra):
    message = enqueue(
        clinic.org,
        patient or clinic.patient,
        kind,
        due_at=timezone.now(),
        payload={"patient_name": "Giulia", "clinic": "A", "subject": "S", "body": "B"},
        idempotency_key=key,
    )
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=status, last_attempt_at=timezone.now(), **extra
    )
    return message


def signed_in(clinic, role):
    client = Client()
    client.force_login(clinic.user(role))
    return client


def test_list_messages_filters_by_patient_status_and_kind(clinic, make, other_clinic):
    add(clinic, "a", status="failed", last_error="smtp down")
    add(clinic, "b", status="sent")
    add(clinic, "c", kind="reminder", patient=make.patient())
    add(other_clinic, "z")
    api = clinic.api("reception")
    assert api.get("messages").json()["count"] == 3
    failed = api.get("messages", status="failed").json()
    assert [m["idempotency_key"] for m in failed["items"]] == ["a"]
    assert failed["items"][0]["last_error"] == "smtp down"
    assert api.get("messages", kind="reminder").json()["count"] == 1
    assert api.get("messages", patient=clinic.patient.pk).json()["count"] == 2
    bad = api.get("messages", status="lost")
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"


def test_message_list_query_count_is_bounded(clinic, django_assert_max_num_queries):
    for i in range(20):
        add(clinic, f"m{i}")
    api = clinic.api("reception")
    with django_assert_max_num_queries(6):
        assert len(api.get("messages").json()["items"]) == 20


def test_retry_a_failed_message_over_the_api(clinic, other_clinic):
    message = add(clinic, "f", status="failed", attempts=5)
    response = clinic.api("reception").post(f"messages/{message.pk}/retry")
    assert response.status_code == 200
    assert response.json()["status"] == "pending" and response.json()["attempts"] == 0
    assert AuditEvent.objects.filter(object_type="notify.outboxmessage", action="update").exists()
    again = clinic.api("reception").post(f"messages/{message.pk}/retry")
    assert again.status_code == 409
    assert other_clinic.api("admin").post(f"messages/{message.pk}/retry").status_code == 404
    assert clinic.api("auditor").post(f"messages/{message.pk}/retry").status_code == 403


def test_messages_page_lists_and_retries(clinic, django_assert_max_num_queries):
    for i in range(15):
        add(clinic, f"p{i}", status="failed", last_error="gateway said no")
    client = signed_in(clinic, "reception")
    with django_assert_max_num_queries(12):
        page = client.get("/messages?status=failed")
    assert page.status_code == 200
    assert page.content.count(b"gateway said no") == 15
    message = OutboxMessage.objects.first()
    response = client.post(f"/messages/{message.pk}/retry")
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == "pending"
    preview = client.get(f"/messages/{message.pk}")
    assert preview.status_code == 200
    assert b"All messages" in preview.content


def test_dashboard_shows_the_failure_rate_alarm_to_admins(clinic):
    for i in range(4):
        add(clinic, f"s{i}", status="sent")
    add(clinic, "x1", status="failed")
    admin = signed_in(clinic, "admin")
    assert b"20% of messages failed" not in admin.get("/").content  # 20 % is not above 20 %
    add(clinic, "x2", status="failed")
    page = admin.get("/").content.decode()
    assert "33% of messages failed in the last 24 hours (2 of 6)" in page
    assert "Message delivery" not in signed_in(clinic, "reception").get("/").content.decode()


def test_old_failures_do_not_count(clinic):
    add(clinic, "old", status="failed")
    OutboxMessage.objects.update(last_attempt_at=timezone.now() - dt.timedelta(hours=25))
    assert "messages failed" not in signed_in(clinic, "admin").get("/").content.decode()


def test_an_alert_appears_on_the_dashboard_until_acknowledged(clinic, other_clinic):
    alert = raise_alert(
        clinic.org.pk,
        kind="check_in",
        severity="critical",
        patient_id=clinic.patient.pk,
        message="Giulia Rossi reported: fever",
    )
    practitioner = signed_in(clinic, "practitioner")
    assert "Giulia Rossi reported: fever" in practitioner.get("/").content.decode()
    assert (
        "reported: fever" not in signed_in(other_clinic, "practitioner").get("/").content.decode()
    )
    practitioner.post(f"/alerts/{alert.pk}/acknowledge")
    alert.refresh_from_db()
    assert alert.acknowledged_by == clinic.user("practitioner")
    assert "reported: fever" not in practitioner.get("/").content.decode()
    api = clinic.api("practitioner")
    assert api.get("alerts").json() == []
    assert api.post(f"alerts/{alert.pk}/acknowledge").status_code == 409
    assert Alert.objects.count() == 1
