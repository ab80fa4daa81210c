"""Channel backends: how a rendered message leaves the building.

Every backend receives the message's idempotency key and declares what it can promise, which
the worker's crash recovery relies on (see `mesocare.notify.worker`):

- `confirm(key)` answers "was this key delivered?" with True/False, or None when it cannot
  know (console, SMTP);
- `deduplicates` is True when the provider itself drops a second delivery of the same key
  (the SMS webhook contract: the `Idempotency-Key` header).

Backends raise `DeliveryError(permanent=...)`; anything else is treated as transient.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.module_loading import import_string

KEY_HEADER = "X-Mesocare-Key"


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


@dataclass
class Outgoing:
    key: str
    channel: str
    to: str
    subject: str
    text: str
    html: str = ""
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)


class Backend(Protocol):
    deduplicates: bool

    def send(self, out: Outgoing) -> str: ...

    def confirm(self, key: str) -> bool | None: ...


# --- a journal: the file every delivery is appended to (demo, tests, the kill test) ----------


def journal_path() -> Path:
    return Path(settings.NOTIFY_JOURNAL_PATH)


def append_journal(entry: dict[str, Any]) -> None:
    """One `write()` on an O_APPEND descriptor: a line is in the file whole or not at all,
    even if the process is killed (a regular-file write is not interrupted by a signal)."""
    path = journal_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    line = (json.dumps(entry, ensure_ascii=False, default=str) + "\n").encode()
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
        os.fsync(fd)
    finally:
        os.close(fd)


def journal_has(key: str) -> bool:
    path = journal_path()
    if not path.exists():
        return False
    needle = json.dumps(key)
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            if needle in line and json.loads(line).get("key") == key:
                return True
    return False


def _slow_down() -> None:
    """NOTIFY_JOURNAL_DELAY_MS (tests only): half before and half after each journal write,
    so a kill can land both before a send and between the send and its mark."""
    delay = getattr(settings, "NOTIFY_JOURNAL_DELAY_MS", 0)
    if delay:
        time.sleep(delay / 2000)


class JournalEmailBackend(BaseEmailBackend):
    """A Django email backend that appends each email to the journal and can confirm it."""

    def send_messages(self, email_messages: Any) -> int:
        for message in email_messages:
            _slow_down()
            append_journal(
                {
                    "key": message.extra_headers.get(KEY_HEADER, ""),
                    "channel": "email",
                    "to": list(message.to),
                    "subject": message.subject,
                    "text": message.body,
                    "attachments": [a[0] for a in message.attachments if isinstance(a, tuple)],
                }
            )
            _slow_down()
        return len(email_messages)

    def was_delivered(self, key: str) -> bool:
        return journal_has(key)


# --- email ---------------------------------------------------------------------------------


class EmailChannel:
    """Email through Django's configured EMAIL_BACKEND (SMTP in production)."""

    def __init__(self) -> None:
        self.connection = get_connection()
        self.deduplicates = False

    def send(self, out: Outgoing) -> str:
        digest = hashlib.sha256(out.key.encode()).hexdigest()[:40]
        message_id = f"<{digest}@mesocare>"
        email = EmailMultiAlternatives(
            subject=out.subject,
            body=out.text,
            to=[out.to],
            headers={KEY_HEADER: out.key, "Message-ID": message_id},
            connection=self.connection,
        )
        if out.html:
            email.attach_alternative(out.html, "text/html")
        for name, content, mimetype in out.attachments:
            email.attach(name, content, mimetype)
        try:
            email.send(fail_silently=False)
        except (ValueError, UnicodeError) as exc:
            raise DeliveryError(f"email rejected: {exc}", permanent=True) from exc
        except OSError as exc:  # smtplib errors are OSErrors
            raise DeliveryError(f"email: {exc}") from exc
        return message_id

    def confirm(self, key: str) -> bool | None:
        was_delivered = getattr(self.connection, "was_delivered", None)
        return was_delivered(key) if was_delivered else None


# --- SMS -----------------------------------------------------------------------------------


class ConsoleSmsBackend:
    deduplicates = False

    def send(self, out: Outgoing) -> str:
        sys.stdout.write(f"SMS to {out.to} [{out.key}]\n{out.text}\n{'-' * 40}\n")
        sys.stdout.flush()
        return ""

    def confirm(self, key: str) -> bool | None:
        return None


class JournalSmsBackend:
    deduplicates = False

    def send(self, out: Outgoing) -> str:
        _slow_down()
        append_journal({"key": out.key, "channel": "sms", "to": out.to, "text": out.text})
        _slow_down()
        return ""

    def confirm(self, key: str) -> bool | None:
        return journal_has(key)


class NullBackend:
    """Accepts everything and keeps nothing (benchmarks)."""

    deduplicates = False

    def send(self, out: Outgoing) -> str:
        return ""

    def confirm(self, key: str) -> bool | None:
        return None


def sign_webhook(secret: str, timestamp: str, body: bytes) -> str:
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


class WebhookSmsBackend:
    """POSTs JSON to SMS_WEBHOOK_URL, signed with HMAC-SHA256 over "<timestamp>.<body>".

    Headers: `X-Mesocare-Timestamp`, `X-Mesocare-Signature: sha256=<hex>`, `Idempotency-Key`.
    The receiving gateway must drop a repeated Idempotency-Key (this is what makes a resend
    after a crash safe). 2xx = accepted; 4xx other than 408/429 = permanent failure.
    """

    deduplicates = True

    def __init__(self, url: str | None = None, secret: str | None = None) -> None:
        self.url = url or settings.SMS_WEBHOOK_URL
        self.secret = secret or settings.SMS_WEBHOOK_SECRET
        if not self.url or not self.secret:
            raise DeliveryError("SMS_WEBHOOK_URL and SMS_WEBHOOK_SECRET must be set")

    def send(self, out: Outgoing) -> str:
        body = json.dumps(
            {"idempotency_key": out.key, "to": out.to, "text": out.text}, ensure_ascii=False
        ).encode()
        timestamp = str(int(time.time()))
        request = urllib.request.Request(
            self.url,
            data=body,
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Idempotency-Key": out.key,
                "X-Mesocare-Timestamp": timestamp,
                "X-Mesocare-Signature": sign_webhook(self.secret, timestamp, body),
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.NOTIFY_SEND_TIMEOUT) as resp:
                return resp.headers.get("X-Message-Id", "")[:200]
        except urllib.error.HTTPError as exc:
            permanent = 400 <= exc.code < 500 and exc.code not in (408, 429)
            raise DeliveryError(f"SMS webhook HTTP {exc.code}", permanent=permanent) from exc
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise DeliveryError(f"SMS webhook unreachable: {exc}") from exc

    def confirm(self, key: str) -> bool | None:
        return None


SMS_BACKENDS: dict[str, Any] = {
    "console": ConsoleSmsBackend,
    "webhook": WebhookSmsBackend,
    "journal": JournalSmsBackend,
    "null": NullBackend,
    "twilio": "mesocare.notify.sms_providers.TwilioSmsBackend",
    "http": "mesocare.notify.sms_providers.HttpSmsBackend",
}


def sms_backend() -> Backend:
    name = settings.SMS_BACKEND
    cls = SMS_BACKENDS.get(name) or name
    if isinstance(cls, str):
        cls = import_string(cls)
    backend: Backend = cls()
    return backend


def backend_for(channel: str) -> Backend:
    if channel == "email":
        return EmailChannel()
    return sms_backend()
