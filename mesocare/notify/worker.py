"""Delivering the outbox: claim due messages, send each once, record the outcome.

The guarantee (exactly-once as the patient sees it)
---------------------------------------------------
A send is an external side effect and cannot share a database transaction, so delivery is
split into three steps around it:

1. *Claim* (one short transaction): due `pending` rows are locked — `SELECT … FOR UPDATE SKIP
   LOCKED` on PostgreSQL, so concurrent workers take disjoint rows; SQLite's `BEGIN IMMEDIATE`
   serializes claims — and marked `sending` with `claimed_by` and a lease, `attempts + 1`.
2. *Send* with the message's idempotency key. Unless its lease still runs for more than twice
   the send timeout, the worker first renews it with a fenced UPDATE (`WHERE status='sending'
   AND claimed_by=me`); if that matches no row, another worker has taken the message over and
   this one does not send.
3. *Mark* `sent` (fenced the same way), or back to `pending` with exponential back-off, or
   `failed` after `max_attempts` (5) or a permanent error.

Two workers therefore never hold the same message at once, and a message that was `sent` is
never claimed again. The only window is a crash *between* 2 and 3: the row stays `sending`
and its lease runs out (leases are ≥ 3× the send timeout, so a live worker always finishes
or gives up first). The next claim takes such rows as *in flight* and asks the channel:

- `confirm(key)` is True → it was delivered: mark `sent` without sending;
- `confirm(key)` is False → it never left: send it (the same attempt);
- unknown, but the channel `deduplicates` on the key (the SMS webhook's `Idempotency-Key`)
  → send again; the provider drops the copy;
- unknown and no deduplication (SMTP, console) → mark `failed` with "delivery unconfirmed";
  a person decides whether to retry. That is at-most-once, never a silent duplicate.

So with a confirming or deduplicating channel delivery is exactly-once as observed by the
recipient; with a plain SMTP relay it is at-most-once across a crash (and exactly-once
otherwise). The journal backends (`NOTIFY_JOURNAL_PATH`) confirm, which is what the kill test
uses: a worker is SIGKILLed mid-batch and restarted, and no key appears twice.

Quiet hours (NOTIFY_QUIET_HOURS, location time) and a patient's later opt-out are checked at
claim/send time: the first defers the message to the end of quiet hours without counting an
attempt, the second cancels it.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, fields

from django.conf import settings
from django.db import close_old_connections, connection, transaction
from django.db.models import F, QuerySet
from django.utils import timezone

from mesocare.notify.channels import Backend, DeliveryError, Outgoing, backend_for
from mesocare.notify.choices import MessageChannel, MessageStatus
from mesocare.notify.models import OutboxMessage
from mesocare.notify.outbox import address_for, resolve_channel
from mesocare.notify.quiet import parse_quiet_hours, quiet_until
from mesocare.notify.rendering import render_message
from mesocare.notify.signals import periodic_jobs_due

log = logging.getLogger(__name__)

BACKOFF_BASE = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)


@dataclass
class DeliveryStats:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0
    deferred: int = 0
    cancelled: int = 0
    recovered: int = 0
    unconfirmed: int = 0
    lost_lease: int = 0

    def add(self, other: DeliveryStats) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))

    def __str__(self) -> str:
        return ", ".join(f"{f.name} {getattr(self, f.name)}" for f in fields(self))


def backoff(attempts: int) -> dt.timedelta:
    """1, 2, 4, 8 … minutes after the n-th failed attempt, capped at 6 hours."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


def new_worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=settings.NOTIFY_LEASE_SECONDS)


def _send_timeout() -> dt.timedelta:
    return dt.timedelta(seconds=max(settings.NOTIFY_SEND_TIMEOUT, settings.EMAIL_TIMEOUT))


def _claim(
    batch_size: int, now: dt.datetime, worker_id: str, stats: DeliveryStats
) -> list[tuple[OutboxMessage, bool]]:
    """Lock and mark a batch; returns (message, was_in_flight) pairs."""
    quiet = parse_quiet_hours(settings.NOTIFY_QUIET_HOURS)
    skip_locked = connection.features.has_select_for_update_skip_locked
    base = OutboxMessage.objects.select_related("patient", "organization")
    with transaction.atomic():
        expired = base.filter(status=MessageStatus.SENDING, lease_until__lt=now)
        pending = base.filter(status=MessageStatus.PENDING, next_attempt_at__lte=now)
        if skip_locked:
            expired = expired.select_for_update(skip_locked=True, of=("self",))
            pending = pending.select_for_update(skip_locked=True, of=("self",))
        in_flight = list(expired.order_by("lease_until", "id")[:batch_size])
        due = list(pending.order_by("next_attempt_at", "id")[: batch_size - len(in_flight)])
        send_ids = []
        for message in due:
            until = quiet_until(now, message.timezone, quiet)
            if until is not None:
                OutboxMessage.objects.filter(pk=message.pk).update(next_attempt_at=until)
                stats.deferred += 1
            else:
                send_ids.append(message.pk)
        lease_until = now + _lease()
        if send_ids:
            OutboxMessage.objects.filter(pk__in=send_ids).update(
                status=MessageStatus.SENDING,
                claimed_by=worker_id,
                lease_until=lease_until,
                last_attempt_at=now,
                attempts=F("attempts") + 1,
                updated_at=now,
            )
        if in_flight:
            OutboxMessage.objects.filter(pk__in=[m.pk for m in in_flight]).update(
                claimed_by=worker_id, lease_until=lease_until, updated_at=now
            )
    for message in in_flight:
        message.lease_until = lease_until
    claimed = [(m, True) for m in in_flight]
    for message in due:
        if message.pk in send_ids:
            message.attempts += 1
            message.lease_until = lease_until
            claimed.append((message, False))
    stats.claimed += len(claimed)
    return claimed


def _fenced(message: OutboxMessage, worker_id: str) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(
        pk=message.pk, status=MessageStatus.SENDING, claimed_by=worker_id
    )


def _finish(message: OutboxMessage, worker_id: str, now: dt.datetime, **values: object) -> bool:
    qs = _fenced(message, worker_id)
    return bool(qs.update(lease_until=None, updated_at=now, **values))


def _send_one(
    message: OutboxMessage,
    in_flight: bool,
    worker_id: str,
    clock: Callable[[], dt.datetime],
    backends: dict[str, Backend],
    stats: DeliveryStats,
) -> None:
    channel = resolve_channel(message.patient)
    if channel is None:
        _finish(
            message,
            worker_id,
            clock(),
            status=MessageStatus.CANCELLED,
            last_error="the patient no longer receives messages",
        )
        stats.cancelled += 1
        return
    if in_flight:
        # A worker died during this send. Ask the channel the message was sent on.
        backend = backends.setdefault(message.channel, backend_for(message.channel))
        delivered = backend.confirm(message.idempotency_key)
        if delivered:
            _finish(message, worker_id, clock(), status=MessageStatus.SENT, sent_at=clock())
            stats.recovered += 1
            return
        if delivered is None and not backend.deduplicates:
            _finish(
                message,
                worker_id,
                clock(),
                status=MessageStatus.FAILED,
                last_error="delivery unconfirmed: the worker stopped during the send; "
                "check with the patient before retrying",
            )
            stats.unconfirmed += 1
            return
        channel = message.channel  # resend on the same channel, with the same key
    backend = backends.setdefault(channel, backend_for(channel))
    # Renew (and re-check) the lease unless it surely still holds for the whole send: nobody
    # can take a message over before its lease ends.
    held = message.lease_until is not None and message.lease_until - clock() > 2 * _send_timeout()
    if (not held or channel != message.channel) and not _fenced(message, worker_id).update(
        lease_until=clock() + _lease(), channel=channel
    ):
        stats.lost_lease += 1
        return
    try:
        rendered = render_message(message)
        is_email = channel == MessageChannel.EMAIL
        out = Outgoing(
            key=message.idempotency_key,
            channel=channel,
            to=address_for(message.patient, channel),
            subject=rendered.subject,
            text=rendered.text if is_email else rendered.sms,
            html=rendered.html if is_email else "",
            attachments=rendered.attachments if is_email else [],
        )
        provider_ref = backend.send(out)
    except Exception as exc:  # noqa: BLE001 — every failure is recorded on the row
        permanent = isinstance(exc, DeliveryError) and exc.permanent
        error = f"{type(exc).__name__}: {exc}"[:2000]
        now = clock()
        if permanent or message.attempts >= message.max_attempts:
            _finish(message, worker_id, now, status=MessageStatus.FAILED, last_error=error)
            stats.failed += 1
        else:
            _finish(
                message,
                worker_id,
                now,
                status=MessageStatus.PENDING,
                last_error=error,
                claimed_by="",
                next_attempt_at=now + backoff(message.attempts),
            )
            stats.retrying += 1
        log.warning("outbox message %s: %s", message.pk, error)
        return
    _finish(
        message,
        worker_id,
        clock(),
        status=MessageStatus.SENT,
        sent_at=clock(),
        provider_ref=(provider_ref or "")[:200],
        last_error="",
    )
    stats.sent += 1


def deliver_due(
    batch_size: int = 100, now: dt.datetime | None = None, *, worker_id: str | None = None
) -> DeliveryStats:
    """Deliver one batch of due messages. Safe to run in any number of processes at once."""
    worker_id = worker_id or new_worker_id()
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else timezone.now
    stats = DeliveryStats()
    claimed = _claim(batch_size, clock(), worker_id, stats)
    backends: dict[str, Backend] = {}
    for message, in_flight in claimed:
        _send_one(message, in_flight, worker_id, clock, backends, stats)
    return stats


PERIODIC_EVERY = 30.0  # seconds between runs of the periodic jobs


def run_periodic_jobs(now: dt.datetime | None = None) -> dict[str, int]:
    """The worker's periodic jobs (besides delivery), declared by the domains as receivers of
    `periodic_jobs_due`: e.g. expired waitlist offers passed on, lapsed booking holds purged.
    A failing job is logged and does not stop the others or delivery."""
    done: dict[str, int] = {}
    for receiver, result in periodic_jobs_due.send_robust(sender=None, now=now):
        if isinstance(result, Exception):
            log.error("periodic job %s failed", receiver, exc_info=result)
            continue
        name, count = result
        done[name] = count
    return done


def run_outbox_loop(
    stop: threading.Event,
    *,
    interval: float = 1.0,
    batch_size: int = 100,
    once: bool = False,
    on_batch: Callable[[DeliveryStats], None] | None = None,
) -> DeliveryStats:
    """Deliver until `stop` is set (or, with `once`, until nothing is due); run the periodic
    jobs (`run_periodic_jobs`) on the first pass and every `PERIODIC_EVERY` seconds."""
    worker_id = new_worker_id()
    total = DeliveryStats()
    next_periodic = 0.0
    while not stop.is_set():
        close_old_connections()
        if time.monotonic() >= next_periodic:
            run_periodic_jobs()
            next_periodic = time.monotonic() + PERIODIC_EVERY
        stats = deliver_due(batch_size, worker_id=worker_id)
        total.add(stats)
        if on_batch is not None and (stats.claimed or stats.deferred):
            on_batch(stats)
        if stats.claimed == 0 and stats.deferred == 0:
            if once:
                break
            stop.wait(interval)
    close_old_connections()
    return total
