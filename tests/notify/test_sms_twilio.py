"""The Twilio adapter end to end: the outbox worker sends through a local HTTP server started by
the test that implements Twilio's Messages API contract (form-encoded POST to
/2010-04-01/Accounts/{sid}/Messages.json, basic auth, JSON errors with Twilio error codes,
201 with a message sid), and the server's signed status callbacks and inbound STOP texts come
back to mesocare's webhooks."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import secrets
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django.test import Client
from django.urls import reverse

from mesocare.notify.channels import DeliveryError, Outgoing
from mesocare.notify.choices import MessageStatus
from mesocare.notify.models import Alert, OutboxMessage, SmsOptOut, SmsReceipt
from mesocare.notify.outbox import resolve_channel
from mesocare.notify.services import enqueue
from mesocare.notify.sms_providers import TwilioSmsBackend, twilio_signature
from mesocare.notify.worker import deliver_due

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2025, 6, 10, 10, 0, tzinfo=dt.UTC)  # 12:00 in Rome
SID = "AC" + "1" * 32
TOKEN = "test-auth-token-0123456789abcdef"
FROM = "+390212345678"
E164 = re.compile(r"^\+[1-9]\d{7,14}$")


class FakeTwilio:
    """The parts of Twilio's REST API that mesocare uses, with Twilio's error codes."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.unsubscribed: set[str] = set()
        self.fail_next: list[int] = []  # HTTP statuses to answer before succeeding
        self.messages: dict[str, dict[str, str]] = {}
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _answer(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _error(self, status: int, code: int, message: str) -> None:
                self._answer(
                    status,
                    {
                        "code": code,
                        "message": message,
                        "more_info": f"https://www.twilio.com/docs/errors/{code}",
                        "status": status,
                    },
                )

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length).decode()
                form = dict(urllib.parse.parse_qsl(raw, keep_blank_values=True))
                fake.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "form": form}
                )
                match = re.fullmatch(r"/2010-04-01/Accounts/(AC\w{32})/Messages\.json", self.path)
                if match is None:
                    return self._error(404, 20404, "The requested resource was not found")
                expected = base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
                if (
                    match.group(1) != SID
                    or self.headers.get("Authorization") != f"Basic {expected}"
                ):
                    return self._error(401, 20003, "Authenticate")
                if self.headers.get("Content-Type") != "application/x-www-form-urlencoded":
                    return self._error(400, 21608, "Unsupported content type")
                if fake.fail_next:
                    status = fake.fail_next.pop(0)
                    code = 20429 if status == 429 else 20500
                    return self._error(status, code, "Temporary failure")
                if not form.get("To"):
                    return self._error(400, 21604, "A 'To' phone number is required.")
                if not form.get("From") and not form.get("MessagingServiceSid"):
                    return self._error(400, 21603, "A 'From' phone number is required.")
                if not form.get("Body"):
                    return self._error(400, 21602, "Message body is required.")
                if not E164.match(form["To"]):
                    return self._error(400, 21211, f"Invalid 'To' Phone Number: {form['To']}")
                if form["To"] in fake.unsubscribed:
                    return self._error(400, 21610, "Attempt to send to unsubscribed recipient")
                sid = "SM" + secrets.token_hex(16)
                fake.messages[sid] = form
                return self._answer(
                    201,
                    {
                        "sid": sid,
                        "account_sid": SID,
                        "to": form["To"],
                        "from": form.get("From"),
                        "body": form["Body"],
                        "status": "queued",
                        "num_segments": "1",
                        "error_code": None,
                    },
                )

        return Handler

    def status_callback(self, sid: str, status: str, error_code: str = "") -> tuple[str, dict]:
        """The signed request Twilio makes to a message's StatusCallback URL."""
        form = self.messages[sid]
        params = {
            "AccountSid": SID,
            "From": form.get("From", ""),
            "MessageSid": sid,
            "MessageStatus": status,
            "SmsSid": sid,
            "SmsStatus": status,
            "To": form["To"],
            "ApiVersion": "2010-04-01",
        }
        if error_code:
            params["ErrorCode"] = error_code
        return form["StatusCallback"], params


@pytest.fixture
def twilio(settings: Any) -> Any:
    fake = FakeTwilio()
    settings.SMS_BACKEND = "twilio"
    settings.SMS_TWILIO_ACCOUNT_SID = SID
    settings.SMS_TWILIO_AUTH_TOKEN = TOKEN
    settings.SMS_TWILIO_FROM = FROM
    settings.SMS_TWILIO_BASE_URL = fake.base_url
    settings.SITE_URL = "https://clinic.example"
    settings.NOTIFY_QUIET_HOURS = ""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    yield fake
    fake.close()


@pytest.fixture
def sms_patient(clinic: Any) -> Any:
    patient = clinic.patient
    patient.phone = "+39 333 123 4567"
    patient.preferred_channel = "sms"
    patient.save()
    return patient


def sms_notice(clinic: Any, patient: Any, key: str = "sms-1") -> OutboxMessage:
    with transaction.atomic():
        message = enqueue(
            clinic.org,
            patient,
            "waitlist_offer",
            due_at=T0,
            payload={
                "patient_name": "Giulia",
                "clinic": "Alpha",
                "subject": "Hi",
                "body": "A slot",
            },
            idempotency_key=key,
            tz="Europe/Rome",
        )
    assert message is not None and message.channel == "sms"
    return message


def post_signed(url: str, params: dict[str, str], token: str = TOKEN) -> Any:
    parsed = urllib.parse.urlsplit(url)
    path = parsed.path + (f"?{parsed.query}" if parsed.query else "")
    signature = twilio_signature(token, url, params)
    return Client().post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


def test_the_worker_sends_the_request_twilio_expects(twilio: FakeTwilio, clinic, sms_patient):
    message = sms_notice(clinic, sms_patient)
    assert deliver_due(now=T0).sent == 1
    [request] = twilio.requests
    assert request["path"] == f"/2010-04-01/Accounts/{SID}/Messages.json"
    form = request["form"]
    assert form["To"] == "+393331234567"  # E.164, the separators of the stored number dropped
    assert form["From"] == FROM
    assert form["Body"]
    assert form["StatusCallback"].startswith("https://clinic.example/sms/twilio/status?key=")
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert message.provider_ref.startswith("SM") and message.provider_ref in twilio.messages


def test_delivery_receipts_are_stored_and_an_undelivered_sms_alerts_staff(
    twilio: FakeTwilio, clinic, sms_patient
):
    message = sms_notice(clinic, sms_patient)
    deliver_due(now=T0)
    message.refresh_from_db()
    url, params = twilio.status_callback(message.provider_ref, "sent")
    assert post_signed(url, params).status_code == 204
    url, params = twilio.status_callback(message.provider_ref, "undelivered", "30003")
    assert post_signed(url, params).status_code == 204
    assert post_signed(url, params).status_code == 204  # Twilio retries: stored once
    receipts = SmsReceipt.objects.filter(message=message).order_by("id")
    assert [(r.status, r.error_code) for r in receipts] == [("sent", ""), ("undelivered", "30003")]
    alert = Alert.objects.get(kind="delivery", patient_id=sms_patient.pk)
    assert "30003" in alert.message


def test_a_callback_with_a_wrong_signature_changes_nothing(twilio: FakeTwilio, clinic, sms_patient):
    message = sms_notice(clinic, sms_patient)
    deliver_due(now=T0)
    message.refresh_from_db()
    url, params = twilio.status_callback(message.provider_ref, "delivered")
    assert post_signed(url, params, token="not-the-token").status_code == 403
    params_tampered = {**params, "MessageStatus": "failed"}
    path = urllib.parse.urlsplit(url)
    signature = twilio_signature(TOKEN, url, params)
    response = Client().post(
        path.path + "?" + path.query, params_tampered, HTTP_X_TWILIO_SIGNATURE=signature
    )
    assert response.status_code == 403
    assert Client().post(path.path + "?" + path.query, params).status_code == 403  # unsigned
    assert not SmsReceipt.objects.exists()


def test_a_receipt_for_another_message_key_is_not_found(twilio: FakeTwilio, clinic, sms_patient):
    first = sms_notice(clinic, sms_patient, key="a")
    sms_notice(clinic, sms_patient, key="b")
    deliver_due(now=T0)
    first.refresh_from_db()
    _url, params = twilio.status_callback(first.provider_ref, "delivered")
    wrong = "https://clinic.example/sms/twilio/status?key=b"
    assert post_signed(wrong, params).status_code == 404
    assert not SmsReceipt.objects.exists()


@pytest.mark.parametrize(
    ("statuses", "outcome", "permanent"),
    [
        ([500], MessageStatus.PENDING, False),
        ([429], MessageStatus.PENDING, False),
    ],
)
def test_server_errors_and_rate_limits_are_retried(
    twilio: FakeTwilio, clinic, sms_patient, statuses, outcome, permanent
):
    message = sms_notice(clinic, sms_patient)
    twilio.fail_next = list(statuses)
    stats = deliver_due(now=T0)
    assert stats.retrying == 1
    message.refresh_from_db()
    assert message.status == outcome
    assert "Twilio HTTP" in message.last_error


def test_wrong_credentials_fail_permanently(twilio: FakeTwilio, clinic, sms_patient, settings):
    settings.SMS_TWILIO_AUTH_TOKEN = "wrong"
    message = sms_notice(clinic, sms_patient)
    assert deliver_due(now=T0).failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "error 20003" in message.last_error


def test_an_invalid_number_fails_permanently_with_twilios_code(
    twilio: FakeTwilio, clinic, sms_patient
):
    sms_patient.phone = "333-not-a-number"
    sms_patient.save()
    message = sms_notice(clinic, sms_patient)
    assert deliver_due(now=T0).failed == 1
    message.refresh_from_db()
    assert "error 21211" in message.last_error


def test_an_unsubscribed_recipient_fails_and_is_recorded_as_opted_out(
    twilio: FakeTwilio, clinic, sms_patient
):
    twilio.unsubscribed.add("+393331234567")
    message = sms_notice(clinic, sms_patient)
    assert deliver_due(now=T0).failed == 1
    message.refresh_from_db()
    assert "error 21610" in message.last_error
    assert SmsOptOut.objects.filter(organization=clinic.org).exists()


def test_inbound_stop_opts_the_patient_out_and_start_opts_back_in(
    twilio: FakeTwilio, clinic, sms_patient, other_clinic
):
    stranger = other_clinic.patient
    stranger.phone = "+39 333 999 0000"  # another number: not touched
    stranger.save()
    inbound = "https://clinic.example/sms/twilio/inbound"
    params = {"From": "+393331234567", "To": FROM, "Body": "STOP", "MessageSid": "SM" + "0" * 32}
    response = post_signed(inbound, params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/xml")
    assert SmsOptOut.objects.filter(organization=clinic.org).count() == 1
    assert not SmsOptOut.objects.filter(organization=other_clinic.org).exists()
    # The outbox now picks email for this patient; an SMS already queued is refused unsent.
    sms_patient.email = "giulia@example.org"
    sms_patient.save()
    assert resolve_channel(sms_patient) == "email"
    queued = OutboxMessage.objects.create(
        organization=clinic.org,
        patient=sms_patient,
        kind="waitlist_offer",
        channel="sms",
        template="notice",
        payload={"subject": "Hi", "body": "A slot", "clinic": "Alpha"},
        due_at=T0,
        next_attempt_at=T0,
        idempotency_key="queued-before-stop",
        timezone="Europe/Rome",
    )
    assert deliver_due(now=T0).sent == 1
    queued.refresh_from_db()
    assert queued.channel == "email"  # the worker chose again at send time
    assert len(mail.outbox) == 1
    assert twilio.requests == []
    # The adapter itself refuses the number too, permanently (whatever chose it).
    with pytest.raises(DeliveryError) as refused:
        TwilioSmsBackend().send(Outgoing("k", "sms", sms_patient.phone, "", "hello"))
    assert refused.value.permanent and "STOP" in str(refused.value)
    post_signed(inbound, {**params, "Body": "START"})
    assert not SmsOptOut.objects.exists()
    assert resolve_channel(sms_patient) == "sms"


def test_an_unsigned_inbound_stop_changes_nothing(twilio: FakeTwilio, clinic, sms_patient):
    params = {"From": "+393331234567", "To": FROM, "Body": "STOP"}
    assert Client().post(reverse("sms:twilio_inbound"), params).status_code == 403
    assert post_signed("https://clinic.example/sms/twilio/inbound", params, "x").status_code == 403
    assert not SmsOptOut.objects.exists()
