"""The generic HTTP SMS adapter, configured from settings/environment, against a local gateway
started by the test: JSON or form body with the configured field names, bearer or basic auth,
the Idempotency-Key header, the gateway's id, and 4xx/5xx handling."""

from __future__ import annotations

import base64
import json
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from mesocare.notify.channels import DeliveryError, Outgoing, sms_backend
from mesocare.notify.sms_providers import HttpSmsBackend, e164


class Gateway:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.answer: tuple[int, dict[str, Any]] = (200, {"id": "gw-1"})
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0"))).decode()
                gateway.requests.append({"headers": dict(self.headers), "body": raw})
                status, body = gateway.answer
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings: Any, db: Any) -> Any:
    found = Gateway()
    settings.SMS_BACKEND = "http"
    settings.SMS_HTTP_URL = found.url
    settings.SMS_HTTP_BEARER_TOKEN = "secret-token"
    settings.SMS_HTTP_FROM = "Clinic"
    yield found
    found.close()


OUT = Outgoing(key="k-1", channel="sms", to="0039 333 123 4567", subject="", text="Ciao è ok")


def test_json_post_with_bearer_auth_and_idempotency_key(gateway: Gateway) -> None:
    backend = sms_backend()
    assert isinstance(backend, HttpSmsBackend)
    assert backend.send(OUT) == "gw-1"
    [request] = gateway.requests
    assert request["headers"]["Authorization"] == "Bearer secret-token"
    assert request["headers"]["Idempotency-Key"] == "k-1"
    assert json.loads(request["body"]) == {
        "to": "+393331234567",
        "text": "Ciao è ok",
        "from": "Clinic",
    }


def test_form_post_with_basic_auth_and_own_field_names(gateway: Gateway, settings: Any) -> None:
    settings.SMS_HTTP_FORMAT = "form"
    settings.SMS_HTTP_BEARER_TOKEN = ""
    settings.SMS_HTTP_USERNAME = "user"
    settings.SMS_HTTP_PASSWORD = "pw"
    settings.SMS_HTTP_TO_FIELD = "destination"
    settings.SMS_HTTP_TEXT_FIELD = "message"
    settings.SMS_HTTP_ID_FIELD = "messageId"
    gateway.answer = (202, {"messageId": "abc"})
    assert HttpSmsBackend().send(OUT) == "abc"
    [request] = gateway.requests
    expected = base64.b64encode(b"user:pw").decode()
    assert request["headers"]["Authorization"] == f"Basic {expected}"
    form = dict(urllib.parse.parse_qsl(request["body"]))
    assert form == {"destination": "+393331234567", "message": "Ciao è ok", "from": "Clinic"}


@pytest.mark.parametrize(
    ("status", "permanent"), [(400, True), (401, True), (408, False), (429, False), (503, False)]
)
def test_refusals_are_permanent_and_overload_is_retried(
    gateway: Gateway, status: int, permanent: bool
) -> None:
    gateway.answer = (status, {"error": "no"})
    with pytest.raises(DeliveryError) as failed:
        HttpSmsBackend().send(OUT)
    assert failed.value.permanent is permanent


def test_an_unreachable_gateway_is_retried(gateway: Gateway, settings: Any) -> None:
    settings.SMS_HTTP_URL = "http://127.0.0.1:9/send"
    with pytest.raises(DeliveryError) as failed:
        HttpSmsBackend().send(OUT)
    assert not failed.value.permanent


def test_deduplication_is_declared_only_when_configured(gateway: Gateway, settings: Any) -> None:
    assert HttpSmsBackend().deduplicates is False
    settings.SMS_HTTP_DEDUPLICATES = "true"
    assert HttpSmsBackend().deduplicates is True


@pytest.mark.parametrize(
    ("phone", "prefix", "expected"),
    [
        ("+39 333 123 4567", "", "+393331234567"),
        ("0039-333-1234567", "", "+393331234567"),
        ("333 1234567", "+39", "+393331234567"),
        ("333 1234567", "", "3331234567"),
        ("(212) 555-0100", "+1", "+12125550100"),
    ],
)
def test_e164(settings: Any, phone: str, prefix: str, expected: str) -> None:
    settings.SMS_DEFAULT_COUNTRY_PREFIX = prefix
    assert e164(phone) == expected
