"""The patient's inbox in the portal: documents the clinic shared (the plan, a signed session's
summary — kept as shared, withdrawable) and the messages it sent; only the signed-in patient's
own, and each read audited as theirs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesocare.audit.models import AuditEvent
from mesocare.notify.models import OutboxMessage, SharedDocument
from mesocare.notify.schedules import schedule_booking_messages
from mesocare.portal.models import PreCareConfirmation
from tests.factories import portal_client

pytestmark = pytest.mark.django_db


def staff(clinic: Any, role: str = "practitioner") -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


@pytest.fixture
def patient(clinic: Any, make: Any) -> Any:
    return make.patient(email="anna@example.org")


def test_a_shared_plan_is_in_the_portal_exactly_as_shared_until_withdrawn(
    clinic: Any, make: Any, patient: Any
) -> None:
    plan = make.plan(patient)
    shared = staff(clinic).post(reverse("web:plan-share", kwargs={"plan_id": plan.pk}))
    assert shared.status_code == 302
    document = SharedDocument.objects.get(patient=patient)
    assert document.kind == "plan" and bytes(document.content).startswith(b"%PDF")

    portal = portal_client(patient)
    home = portal.get(reverse("portal:home")).content.decode()
    assert "Treatment plan:" in home
    pdf = portal.get(reverse("portal:document", args=[document.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content == bytes(document.content)
    read = AuditEvent.objects.filter(summary="portal: shared document opened").get()
    assert read.patient_id == patient.pk and read.actor is None

    staff(clinic).post(reverse("web:document-withdraw", kwargs={"document_id": document.pk}))
    assert "Treatment plan:" not in portal.get(reverse("portal:home")).content.decode()
    assert portal.get(reverse("portal:document", args=[document.pk])).status_code == 404
    page = staff(clinic).get(reverse("web:patient-portal", kwargs={"patient_id": patient.pk}))
    assert "withdrawn" in page.content.decode()


def test_only_a_signed_session_summary_can_be_shared(clinic: Any, make: Any, patient: Any) -> None:
    unsigned = make.session(patient=patient)
    page = staff(clinic).post(
        reverse("web:session-share", kwargs={"session_id": unsigned.pk}), follow=True
    )
    assert "Sign the session before sharing its summary." in page.content.decode()
    assert not SharedDocument.objects.exists()
    signed = make.session(patient=patient, signed_at=timezone.now())
    staff(clinic).post(reverse("web:session-share", kwargs={"session_id": signed.pk}))
    document = SharedDocument.objects.get()
    assert document.kind == "session_summary" and document.session_id == signed.pk


def test_reception_may_not_share_clinical_documents(clinic: Any, make: Any, patient: Any) -> None:
    plan = make.plan(patient)
    refused = staff(clinic, "reception").post(
        reverse("web:plan-share", kwargs={"plan_id": plan.pk})
    )
    assert refused.status_code == 403
    assert not SharedDocument.objects.exists()


def test_the_patient_reads_the_messages_sent_and_not_the_pending_ones(
    clinic: Any, make: Any, patient: Any
) -> None:
    with transaction.atomic():
        appointment = make.appointment(patient=patient, start=timezone.now() + dt.timedelta(days=9))
        schedule_booking_messages(appointment)
    confirmation = OutboxMessage.objects.get(kind="booking_confirmation")
    OutboxMessage.objects.filter(pk=confirmation.pk).update(status="sent", sent_at=timezone.now())
    portal = portal_client(patient)
    listed = portal.get(reverse("portal:messages")).content.decode()
    assert "Booking confirmation" in listed
    assert "Reminder" not in listed  # still waiting to be sent
    opened = portal.get(reverse("portal:message", args=[confirmation.pk])).content.decode()
    assert "Your appointment" in opened or "appointment" in opened.lower()
    pending = OutboxMessage.objects.get(kind="reminder")
    assert portal.get(reverse("portal:message", args=[pending.pk])).status_code == 404
    assert AuditEvent.objects.filter(summary="portal: sent message opened").count() == 1


def test_another_patients_documents_and_messages_are_not_found(
    clinic: Any, make: Any, patient: Any
) -> None:
    other = make.patient(given_name="Bea", email="bea@example.org")
    plan = make.plan(other)
    staff(clinic).post(reverse("web:plan-share", kwargs={"plan_id": plan.pk}))
    document = SharedDocument.objects.get(patient=other)
    with transaction.atomic():
        schedule_booking_messages(make.appointment(patient=other))
    message = OutboxMessage.objects.filter(patient=other).first()
    OutboxMessage.objects.filter(pk=message.pk).update(status="sent", sent_at=timezone.now())
    portal = portal_client(patient)
    assert portal.get(reverse("portal:document", args=[document.pk])).status_code == 404
    assert portal.get(reverse("portal:message", args=[message.pk])).status_code == 404
    assert "Treatment plan:" not in portal.get(reverse("portal:home")).content.decode()


def test_pre_care_to_confirm_before_upcoming_visits_is_listed_until_answered(
    clinic: Any, make: Any, patient: Any
) -> None:
    plan = make.plan(patient)
    soon = timezone.now() + dt.timedelta(days=3)
    with transaction.atomic():
        due = make.appointment(patient=patient, plan=plan, index=1, start=soon)
        make.appointment(
            patient=patient, plan=plan, index=2, start=soon + dt.timedelta(days=30)
        )  # too far ahead: its pre-care link could not open yet
    portal = portal_client(patient)
    home = portal.get(reverse("portal:home")).content.decode()
    forms = home.split('id="h-forms"')[1].split("</section>")[0]
    assert forms.count("confirm the pre-care instructions") == 1
    url = forms.split('href="')[1].split('"')[0]
    page = portal.get(url)
    assert page.status_code == 200 and "Avoid coffee" in page.content.decode()
    PreCareConfirmation.objects.create(
        organization=clinic.org,
        patient=patient,
        appointment=due,
        instruction_set=plan.protocol.pre_care.code,
    )
    home = portal.get(reverse("portal:home")).content.decode()
    assert "confirm the pre-care instructions" not in home
    assert "Nothing to fill in." not in home  # consents are still to sign
