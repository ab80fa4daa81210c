"""Every list or search of patient data is audited as one read naming the patients it showed,
and a refused request for a patient's data is audited as refused, never as a read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from mesocare.audit.models import AuditEvent
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db


def _more_patients(clinic: Any, n: int) -> list[int]:
    return [clinic.patient.pk] + [
        Patient.objects.create(
            organization=clinic.org,
            given_name=f"Anna{i}",
            family_name="Rossi",
            birth_date=dt.date(1980, 1, 1 + i),
            sex_at_birth="female",
        ).pk
        for i in range(n)
    ]


def _browser(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def _new_events(before: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.order_by("id")[before:])


def test_api_patient_search_is_one_read_naming_every_patient_returned(
    clinic: Any, django_assert_max_num_queries: Any
) -> None:
    ids = _more_patients(clinic, 5)
    api = clinic.api("reception")
    before = AuditEvent.objects.count()
    with django_assert_max_num_queries(6):
        response = api.get("patients", q="Rossi")
    assert response.status_code == 200
    returned = [p["id"] for p in response.json()["items"]]
    assert sorted(returned) == sorted(ids)
    [event] = _new_events(before)
    assert event.action == "read" and event.object_type == "patients.patient"
    assert event.patient_ids == returned
    assert event.channel == "api"


def test_web_patient_list_and_search_are_audited_reads(clinic: Any) -> None:
    ids = _more_patients(clinic, 3)
    browser = _browser(clinic, "reception")
    before = AuditEvent.objects.count()
    assert browser.get("/patients").status_code == 200
    [listed] = _new_events(before)
    assert listed.action == "read" and sorted(listed.patient_ids) == sorted(ids)
    before = AuditEvent.objects.count()
    response = browser.get("/patients/search", {"q": "Anna0"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    [searched] = _new_events(before)
    assert searched.patient_ids == [ids[1]] and searched.patient_id == ids[1]
    assert searched.channel == "web"


def test_message_lists_name_their_patients(clinic: Any) -> None:
    from django.db import transaction
    from django.utils import timezone

    from mesocare.notify.outbox import enqueue

    Patient.objects.filter(pk=clinic.patient.pk).update(email="p@example.org")
    clinic.patient.refresh_from_db()
    with transaction.atomic():
        enqueue(
            clinic.org.pk, clinic.patient, "reminder", due_at=timezone.now(), payload={},
            idempotency_key="audit-list",
        )  # fmt: skip
    before = AuditEvent.objects.count()
    response = clinic.api("admin").get("messages", patient=clinic.patient.pk)
    assert response.status_code == 200 and response.json()["count"] == 1
    [event] = _new_events(before)
    assert event.action == "read" and event.object_type == "notify.outboxmessage"
    assert event.patient_ids == [clinic.patient.pk] and event.patient_id == clinic.patient.pk
    before = AuditEvent.objects.count()
    assert _browser(clinic, "admin").get("/messages").status_code == 200
    [event] = _new_events(before)
    assert event.patient_ids == [clinic.patient.pk] and event.channel == "web"


def test_appointment_list_names_its_patients(clinic: Any) -> None:
    from mesocare.scheduling.models import Appointment

    start = dt.datetime(2030, 3, 25, 9, tzinfo=dt.UTC)
    Appointment.objects.create(
        organization=clinic.org, location=clinic.location,
        practitioner=clinic.members["practitioner"], room=clinic.room, patient=clinic.patient,
        start=start, end=start + dt.timedelta(minutes=30), created_by=clinic.user("admin"),
    )  # fmt: skip
    before = AuditEvent.objects.count()
    assert clinic.api("reception").get("appointments").status_code == 200
    [event] = _new_events(before)
    assert event.action == "read" and event.patient_ids == [clinic.patient.pk]


def test_a_refused_api_request_is_audited_as_refused_not_read(clinic: Any) -> None:
    before = AuditEvent.objects.count()
    response = clinic.api("reception").get(f"patients/{clinic.patient.pk}/medications")
    assert response.status_code == 403
    [event] = _new_events(before)
    assert event.action == "refused" and event.patient_id == clinic.patient.pk
    assert event.actor_id == clinic.user("reception").pk and event.channel == "api"


def test_another_organizations_patient_is_audited_as_refused_in_mine(
    clinic: Any, other_clinic: Any
) -> None:
    before = AuditEvent.objects.count()
    stranger = other_clinic.patient.pk
    assert clinic.api("admin").get(f"patients/{stranger}").status_code == 404
    assert _browser(clinic, "admin").get(f"/patients/{stranger}").status_code == 404
    events = _new_events(before)
    assert [e.action for e in events] == ["refused", "refused"]
    assert {e.organization_id for e in events} == {clinic.org.pk}
    assert [e.channel for e in events] == ["api", "web"]
    assert not AuditEvent.objects.filter(action="read", patient_id=stranger).exists()


def test_a_refused_patient_page_is_audited_as_refused(clinic: Any) -> None:
    before = AuditEvent.objects.count()
    response = _browser(clinic, "reception").get(f"/patients/{clinic.patient.pk}/audit")
    assert response.status_code == 403
    [event] = _new_events(before)
    assert event.action == "refused" and event.patient_id == clinic.patient.pk


def test_a_patient_id_beyond_64_bits_is_refused_without_a_server_error(clinic: Any) -> None:
    response = clinic.api("admin").get(f"patients/{2**70}")
    assert response.status_code in (404, 422)
