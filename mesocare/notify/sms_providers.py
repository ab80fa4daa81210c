"""SMS provider adapters for the outbox: Twilio's Messages API, and a generic HTTP gateway.

Both are outbox channel backends (`send(out) -> provider id`, `confirm(key)`, `deduplicates`,
see `mesocare.notify.channels`) and are chosen with `SMS_BACKEND=twilio` or `SMS_BACKEND=http`.
Settings come from the environment (`SMS_TWILIO_*`, `SMS_HTTP_*`, listed in docs/operators.md).

Twilio (REST API 2010-04-01): `POST {base}/2010-04-01/Accounts/{AccountSid}/Messages.json`,
form-encoded `To`, `From` (or `MessagingServiceSid` for an "MG…" sender), `Body`,
`StatusCallback`; HTTP basic auth with the Account SID and Auth Token; 201 with the message
`sid`; errors are JSON `{"code", "message", "status"}`. Status callbacks and inbound texts are
signed with `X-Twilio-Signature` = base64(HMAC-SHA1(auth token, URL + each POST parameter name
and value, sorted by name)).

A refusal that will not change on retry (4xx other than 408/429, or an unsubscribed recipient,
Twilio error 21610) is a permanent failure; anything else is retried with back-off.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from django.conf import settings
from django.urls import reverse

from mesocare.notify.channels import DeliveryError, Outgoing
from mesocare.notify.sms import handle_inbound, is_opted_out

TWILIO_UNSUBSCRIBED = 21610  # "Attempt to send to unsubscribed recipient"
RETRYABLE_STATUS = (408, 429)


def setting(name: str, default: str = "") -> str:
    """A Django setting if defined (tests), else the environment variable of the same name."""
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name, default)
    return str(value)


def twilio_signature(auth_token: str, url: str, params: dict[str, str]) -> str:
    """The `X-Twilio-Signature` of a request to `url` with these POST parameters."""
    data = url + "".join(f"{key}{params[key]}" for key in sorted(params))
    mac = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


def e164(phone: str) -> str:
    """A phone number as E.164 ("+" and digits): separators dropped, a leading 00 read as +,
    and a number without either prefixed with SMS_DEFAULT_COUNTRY_PREFIX (e.g. "+39") if set."""
    raw = phone.strip()
    digits = "".join(ch for ch in raw if ch.isdigit())
    if raw.startswith("+"):
        return f"+{digits}"
    if digits.startswith("00"):
        return f"+{digits[2:]}"
    prefix = setting("SMS_DEFAULT_COUNTRY_PREFIX")
    return f"{prefix}{digits}" if prefix and digits else digits


def _refuse_opted_out(out: Outgoing) -> None:
    if is_opted_out(None, out.to):
        raise DeliveryError("the recipient texted STOP (opted out of SMS)", permanent=True)


def _open(request: urllib.request.Request) -> tuple[int, bytes]:
    timeout = settings.NOTIFY_SEND_TIMEOUT
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:  # noqa: S310 (configured URL)
            return resp.status, resp.read(65536)
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read(65536) if exc.fp is not None else b""
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"SMS provider unreachable: {exc}") from exc


def _json(body: bytes) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


class TwilioSmsBackend:
    """Twilio Programmable Messaging. Twilio does not deduplicate, and cannot be asked whether a
    key was delivered: a send cut short by a crash is marked "delivery unconfirmed"."""

    deduplicates = False

    def __init__(
        self,
        account_sid: str | None = None,
        auth_token: str | None = None,
        sender: str | None = None,
        base_url: str | None = None,
    ) -> None:
        self.account_sid = account_sid or setting("SMS_TWILIO_ACCOUNT_SID")
        self.auth_token = auth_token or setting("SMS_TWILIO_AUTH_TOKEN")
        self.sender = sender or setting("SMS_TWILIO_FROM")
        self.base_url = (
            base_url or setting("SMS_TWILIO_BASE_URL", "https://api.twilio.com")
        ).rstrip("/")
        if not (self.account_sid and self.auth_token and self.sender):
            raise DeliveryError(
                "SMS_TWILIO_ACCOUNT_SID, SMS_TWILIO_AUTH_TOKEN and SMS_TWILIO_FROM must be set"
            )

    def status_callback_url(self, key: str) -> str:
        query = urllib.parse.urlencode({"key": key})
        return f"{settings.SITE_URL}{reverse('sms:twilio_status')}?{query}"

    def send(self, out: Outgoing) -> str:
        _refuse_opted_out(out)
        form = {
            "To": e164(out.to),
            "Body": out.text,
            "StatusCallback": self.status_callback_url(out.key),
        }
        form["MessagingServiceSid" if self.sender.startswith("MG") else "From"] = self.sender
        account = urllib.parse.quote(self.account_sid)
        url = f"{self.base_url}/2010-04-01/Accounts/{account}/Messages.json"
        credentials = base64.b64encode(f"{self.account_sid}:{self.auth_token}".encode()).decode()
        request = urllib.request.Request(
            url,
            data=urllib.parse.urlencode(form).encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        status, body = _open(request)
        data = _json(body)
        if 200 <= status < 300:
            sid = str(data.get("sid", ""))
            if not sid:
                raise DeliveryError("Twilio accepted the message but returned no sid")
            return sid[:200]
        code = data.get("code")
        detail = f"Twilio HTTP {status}" + (
            f", error {code}: {data.get('message', '')}" if code else ""
        )
        if code == TWILIO_UNSUBSCRIBED:
            handle_inbound(out.to, "STOP", provider="twilio")
            raise DeliveryError(detail, permanent=True)
        permanent = 400 <= status < 500 and status not in RETRYABLE_STATUS
        raise DeliveryError(detail, permanent=permanent)

    def confirm(self, key: str) -> bool | None:
        return None


class HttpSmsBackend:
    """Any HTTP SMS gateway: one POST per message, JSON or form, field names, sender and
    credentials from the environment. With `SMS_HTTP_DEDUPLICATES=true` the gateway promises
    to drop a repeated `Idempotency-Key`, which makes a resend after a crash safe."""

    def __init__(self) -> None:
        self.url = setting("SMS_HTTP_URL")
        if not self.url:
            raise DeliveryError("SMS_HTTP_URL must be set")
        self.format = setting("SMS_HTTP_FORMAT", "json").lower()
        self.to_field = setting("SMS_HTTP_TO_FIELD", "to")
        self.text_field = setting("SMS_HTTP_TEXT_FIELD", "text")
        self.from_field = setting("SMS_HTTP_FROM_FIELD", "from")
        self.sender = setting("SMS_HTTP_FROM")
        self.id_field = setting("SMS_HTTP_ID_FIELD", "id")
        self.bearer = setting("SMS_HTTP_BEARER_TOKEN")
        self.username = setting("SMS_HTTP_USERNAME")
        self.password = setting("SMS_HTTP_PASSWORD")
        self.deduplicates = setting("SMS_HTTP_DEDUPLICATES", "false").lower() in (
            "1",
            "true",
            "yes",
        )

    def send(self, out: Outgoing) -> str:
        _refuse_opted_out(out)
        fields = {self.to_field: e164(out.to), self.text_field: out.text}
        if self.sender:
            fields[self.from_field] = self.sender
        headers = {"Accept": "application/json", "Idempotency-Key": out.key}
        if self.format == "form":
            body = urllib.parse.urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        else:
            body = json.dumps(fields, ensure_ascii=False).encode()
            headers["Content-Type"] = "application/json"
        if self.bearer:
            headers["Authorization"] = f"Bearer {self.bearer}"
        elif self.username:
            pair = base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        status, answer = _open(
            urllib.request.Request(self.url, data=body, method="POST", headers=headers)
        )
        if 200 <= status < 300:
            return str(_json(answer).get(self.id_field, ""))[:200]
        permanent = 400 <= status < 500 and status not in RETRYABLE_STATUS
        raise DeliveryError(f"SMS gateway HTTP {status}", permanent=permanent)

    def confirm(self, key: str) -> bool | None:
        return None
