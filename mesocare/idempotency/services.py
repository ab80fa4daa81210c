"""Idempotency keys: look up a replay, reserve a key, keep the answer, forget old keys.

Keys live `KEY_TTL` (24 h). A key is reserved inside the caller's transaction; the unique
constraint on (organization, user, key) makes a concurrent second request with the same key
wait for the first and then fail to reserve (409), so a retry can never create twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.clinics.actor import Actor
from mesocare.errors import Conflict, Invalid
from mesocare.idempotency.models import IdempotencyKey

KEY_TTL = dt.timedelta(hours=24)
HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 255


def fingerprint(method: str, path: str, body: bytes) -> str:
    digest = hashlib.sha256()
    for part in (method.encode(), b"\0", path.encode(), b"\0", body):
        digest.update(part)
    return digest.hexdigest()


def check_key(key: str) -> None:
    if not 1 <= len(key) <= MAX_KEY_LENGTH or not key.isprintable():
        raise Invalid.field(
            HEADER, _("Send 1 to 255 printable characters, for example a UUID."), "invalid_key"
        )


def _live(actor: Actor, key: str) -> IdempotencyKey | None:
    return (
        IdempotencyKey.objects.for_org(actor.org_id)
        .filter(user=actor.user, key=key, created_at__gte=timezone.now() - KEY_TTL)
        .first()
    )


def find_replay(actor: Actor, key: str, request_fingerprint: str) -> IdempotencyKey | None:
    """The stored answer for this key, None when the key is new (or expired); a key reused
    for a different request is a 422."""
    check_key(key)
    stored = _live(actor, key)
    if stored is None:
        return None
    if stored.fingerprint != request_fingerprint:
        raise Invalid.field(
            HEADER,
            _("This Idempotency-Key was used for a different request; use a new key."),
            "idempotency_key_reused",
        )
    if stored.status is None:
        raise Conflict(
            "idempotency_key_in_use", _("A request with this Idempotency-Key is still running.")
        )
    return stored


def reserve(actor: Actor, key: str, request_fingerprint: str) -> IdempotencyKey:
    """Claim the key for this request (inside the caller's transaction)."""
    now = timezone.now()
    IdempotencyKey.objects.for_org(actor.org_id).filter(created_at__lt=now - KEY_TTL).delete()
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(
                organization_id=actor.org_id,
                user=actor.user,
                key=key,
                fingerprint=request_fingerprint,
                created_at=now,
            )
    except IntegrityError:
        raise Conflict(
            "idempotency_key_in_use", _("A request with this Idempotency-Key is still running.")
        ) from None


def remember(reserved: IdempotencyKey, status: int, body: bytes, content_type: str) -> None:
    reserved.status = status
    reserved.body = body.decode()
    reserved.content_type = content_type
    reserved.save(update_fields=["status", "body", "content_type"])


def release(reserved: IdempotencyKey) -> None:
    """The request failed and changed nothing: a retry with the key runs it again."""
    reserved.delete()
