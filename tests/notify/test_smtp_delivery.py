"""Email over real SMTP: an aiosmtpd server started by the test receives what the outbox worker
and the portal's sign-in send through Django's SMTP backend."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
import socket
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import reverse

from mesocare.notify.channels import KEY_HEADER
from mesocare.notify.choices import MessageStatus
from mesocare.notify.services import enqueue
from mesocare.notify.worker import deliver_due
from mesocare.portal import accounts
from mesocare.portal.session import SESSION_KEY

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2025, 6, 10, 10, 0, tzinfo=dt.UTC)


class Collector:
    def __init__(self) -> None:
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def smtp(settings: Any) -> Any:
    collector = Collector()
    controller = Controller(collector, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.DEFAULT_FROM_EMAIL = "clinic@example.org"
    settings.SITE_URL = "https://clinic.example"
    settings.NOTIFY_QUIET_HOURS = ""
    cache.clear()
    yield collector
    controller.stop()


def text_of(message: email.message.EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def test_the_outbox_worker_delivers_over_smtp_with_the_idempotency_key(smtp: Collector, clinic):
    patient = clinic.patient
    patient.email = "giulia@example.org"
    patient.preferred_channel = "email"
    patient.save()
    with transaction.atomic():
        message = enqueue(
            clinic.org,
            patient,
            "waitlist_offer",
            due_at=T0,
            payload={
                "patient_name": "Giulia",
                "clinic": "Alpha",
                "subject": "A slot",
                "body": "Hi",
            },
            idempotency_key="smtp-1",
            tz="Europe/Rome",
        )
    assert message is not None
    assert deliver_due(now=T0).sent == 1
    assert deliver_due(now=T0 + dt.timedelta(hours=1)).claimed == 0  # exactly once
    [(sender, rcpt, received)] = smtp.messages
    assert sender == "clinic@example.org"
    assert rcpt == ["giulia@example.org"]
    assert received[KEY_HEADER] == "smtp-1"
    assert received["Message-ID"].endswith("@mesocare>")
    assert received.get_body(preferencelist=("html",)) is not None
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT


def test_an_smtp_server_that_is_down_is_retried(settings: Any, clinic):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = free_port()  # nothing listens
    settings.NOTIFY_QUIET_HOURS = ""
    patient = clinic.patient
    patient.email = "giulia@example.org"
    patient.save()
    with transaction.atomic():
        enqueue(
            clinic.org,
            patient,
            "waitlist_offer",
            due_at=T0,
            payload={
                "patient_name": "Giulia",
                "clinic": "Alpha",
                "subject": "A slot",
                "body": "Hi",
            },
            idempotency_key="smtp-down",
            tz="Europe/Rome",
        )
    assert deliver_due(now=T0).retrying == 1


def test_a_patient_signs_in_with_the_link_read_from_the_smtp_server(smtp: Collector, make: Any):
    patient = make.patient(email="anna@example.org")
    accounts.ensure_account(patient)
    client = Client()
    response = client.post(reverse("portal:sign_in"), {"email": "anna@example.org"})
    assert response.status_code == 200
    [(_sender, rcpt, received)] = smtp.messages
    assert rcpt == ["anna@example.org"]
    assert "sign-in link" in received["Subject"]
    match = re.search(r"https://clinic\.example(/p/sign-in/link/\S+)", text_of(received))
    assert match
    assert client.post(match.group(1)).status_code == 302
    assert client.session[SESSION_KEY]["account"]
    assert client.get(reverse("portal:home")).status_code == 200
    # The same link a second time: refused.
    assert Client().post(match.group(1)).status_code == 410
