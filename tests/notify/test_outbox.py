from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from mesocare.notify.choices import MessageStatus
from mesocare.notify.models import OutboxMessage
from mesocare.notify.services import enqueue

pytestmark = pytest.mark.django_db


def _enqueue(clinic, patient=None, key="k1", **kw):
    return enqueue(
        clinic.actor(),
        patient or clinic.patient,
        kw.pop("kind", "reminder"),
        due_at=kw.pop("due_at", timezone.now()),
        payload=kw.pop("payload", {"patient_name": "Giulia"}),
        idempotency_key=key,
        **kw,
    )


def test_enqueue_twice_with_the_same_key_writes_one_message(clinic):
    first = _enqueue(clinic)
    second = _enqueue(clinic, payload={"changed": True})
    assert first is not None and second is not None
    assert first.pk == second.pk
    assert OutboxMessage.objects.count() == 1
    assert second.payload == {"patient_name": "Giulia"}


def test_enqueue_uses_the_preferred_channel_and_falls_back_to_the_other(clinic, make):
    assert _enqueue(clinic).channel == "sms"  # the fixture patient has a phone, no email
    emailer = make.patient(email="a@example.org", phone="+39 1", preferred_channel="sms")
    assert _enqueue(clinic, emailer, key="k2").channel == "sms"
    emailer2 = make.patient(email="b@example.org", phone="", preferred_channel="sms")
    assert _enqueue(clinic, emailer2, key="k3").channel == "email"


def test_a_patient_who_wants_no_messages_gets_none(clinic, make):
    quiet = make.patient(preferred_channel="none")
    assert _enqueue(clinic, quiet) is None
    assert not OutboxMessage.objects.exists()


def test_enqueue_outside_a_transaction_is_refused(clinic, make, django_db_blocker):
    with (
        pytest.raises(RuntimeError, match="inside the transaction"),
        transaction.get_connection().cursor(),
    ):
        conn = transaction.get_connection()
        saved = conn.in_atomic_block
        conn.in_atomic_block = False
        try:
            _enqueue(clinic)
        finally:
            conn.in_atomic_block = saved


def test_enqueue_for_a_patient_of_another_organization_is_refused(clinic, other_clinic):
    with pytest.raises(ValueError, match="another organization"):
        _enqueue(clinic, other_clinic.patient)


def test_a_message_rolled_back_with_its_event_does_not_exist(clinic):
    with pytest.raises(ZeroDivisionError), transaction.atomic():
        _enqueue(clinic, key="rolled-back")
        1 / 0  # noqa: B018 — the booking fails after the message was written
    assert not OutboxMessage.objects.filter(idempotency_key="rolled-back").exists()


def test_enqueue_stores_related_rows_and_timezone(clinic, make):
    appointment = make.appointment()
    message = _enqueue(clinic, related={"appointment": appointment, "plan": None}, tz="Europe/Rome")
    assert message.appointment == appointment and message.plan is None
    assert message.timezone == "Europe/Rome"
    assert message.status == MessageStatus.PENDING
    assert message.next_attempt_at == message.due_at
    assert message.due_at <= timezone.now() + dt.timedelta(seconds=1)
