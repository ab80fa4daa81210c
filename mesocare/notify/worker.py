"""Delivering the outbox: claim due messages, send each once, record the outcome.

The guarantee (exactly-once as the patient sees it)
---------------------------------------------------
A send is an external side effect and cannot share a database transaction, so delivery is
split into three steps around it:

1. *Claim* a batch (one short transaction, `mesocare.notify.claims`): one `UPDATE … WHERE id
   = ANY(ARRAY(SELECT … FOR UPDATE SKIP LOCKED LIMIT n)) RETURNING …` marks due `pending` rows
   `sending` with `claimed_by`, a lease and `attempts + 1` (concurrent workers take disjoint
   rows; SQLite's `BEGIN IMMEDIATE` serializes claims instead), returning the columns sending
   reads; the batch's patients are read in one query, as values (no model instances).
2. *Send* each with its idempotency key. Whenever the lease has no more than twice the send
   timeout left, the worker first marks what it sent so far and renews the lease of the rest
   with one fenced UPDATE (`WHERE status='sending' AND claimed_by=me`); a message that matches
   no longer has been taken over by another worker, and this one does not send it.
3. *Mark* the sent messages `sent` together (one fenced UPDATE at the end of the batch); a
   failure goes back to `pending` with exponential back-off, or `failed` after `max_attempts`
   (5) or a permanent error, on its own row at once.

Two workers therefore never hold the same message at once, and a message that was `sent` is
never claimed again. The only window is a crash *between* 2 and 3 (sent, not yet marked):
the rows stay `sending` until their lease runs out (leases are ≥ 3× the send timeout and
renewed before they run short, so a live worker always finishes or gives up first).
The next claim takes such rows as *in flight* and asks the channel:

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
from itertools import groupby

from django.conf import settings
from django.db import close_old_connections, transaction
from django.db.models import QuerySet
from django.utils import timezone, translation

from mesocare.notify import claims
from mesocare.notify.channels import Backend, DeliveryError, Outgoing, backend_for
from mesocare.notify.choices import MessageChannel, MessageStatus
from mesocare.notify.claims import Claimed
from mesocare.notify.models import OutboxMessage
from mesocare.notify.outbox import address_for, opted_out_digits, resolve_channel
from mesocare.notify.quiet import parse_quiet_hours, quiet_until
from mesocare.notify.rendering import Renderer, message_language
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


@dataclass
class ClaimedBatch:
    """A claimed batch: its messages (those taken over from a dead worker first) and the
    lease they hold."""

    messages: list[Claimed]
    lease_until: dt.datetime

    def __bool__(self) -> bool:
        return bool(self.messages)


def claim(batch_size: int, now: dt.datetime, worker_id: str, stats: DeliveryStats) -> ClaimedBatch:
    """Take a batch in one short transaction: messages whose worker died mid-send first, then
    due ones (one UPDATE … RETURNING each), then their patients in one query. Messages inside
    quiet hours are handed back at once, without an attempt."""
    quiet = parse_quiet_hours(settings.NOTIFY_QUIET_HOURS)
    lease_until = now + _lease()
    with transaction.atomic():
        claims.follow_claim_indexes()
        in_flight = claims.take_in_flight(batch_size, now, worker_id, lease_until)
        room = batch_size - len(in_flight)
        due = claims.take_due(room, now, worker_id, lease_until) if room > 0 else []
        if not in_flight and not due:
            return ClaimedBatch([], lease_until)
        later: dict[dt.datetime, list[int]] = {}
        ends: dict[str, dt.datetime | None] = {}
        for message in due:
            tz = message.timezone
            if tz not in ends:
                ends[tz] = quiet_until(now, tz, quiet)
            until = ends[tz]
            if until is not None:
                later.setdefault(until, []).append(message.id)
        for until, ids in later.items():
            stats.deferred += claims.defer(ids, worker_id, until, now)
        deferred = {pk for ids in later.values() for pk in ids}
        batch = [*in_flight, *(m for m in due if m.id not in deferred)]
        patients = claims.addressees({m.patient_id for m in batch})
    for message in batch:
        message.patient = patients[message.patient_id]
    stats.claimed += len(batch)
    return ClaimedBatch(batch, lease_until)


def _fenced(pk: int, worker_id: str) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(pk=pk, status=MessageStatus.SENDING, claimed_by=worker_id)


class _Batch:
    """Sends one claimed batch. Successful sends are marked `sent` together, in one fenced
    UPDATE, when the lease is renewed and at the end of the batch; a failure, a cancellation
    or an unconfirmed crash is recorded on its row at once (they are rare)."""

    def __init__(
        self,
        batch: ClaimedBatch,
        worker_id: str,
        clock: Callable[[], dt.datetime],
        stats: DeliveryStats,
    ) -> None:
        self.batch = batch.messages
        self.worker_id = worker_id
        self.clock = clock
        self.stats = stats
        self.backends: dict[str, Backend] = {}
        self.held = {message.id for message in self.batch}
        self.lease_until = batch.lease_until
        self.to_mark: dict[int, str] = {}  # delivered, not yet marked: pk → provider reference
        patients = {m.patient_id: m.patient for m in self.batch}
        self.opted_out = opted_out_digits(patients.values())
        self.channels: dict[int, str | None] = {}  # patient id → the channel to use now
        self.renderer = Renderer()

    def backend(self, channel: str) -> Backend:
        if channel not in self.backends:
            self.backends[channel] = backend_for(channel)
        return self.backends[channel]

    def run(self) -> None:
        short = 2 * _send_timeout()
        # Each patient's language, activated once for consecutive messages in the same one.
        for language, messages in groupby(self.batch, key=message_language):
            with translation.override(language):
                for message in messages:
                    if message.id in self.held and self.lease_until - self.clock() <= short:
                        self.renew()
                    if message.id not in self.held:
                        self.stats.lost_lease += 1
                        continue
                    self.deliver(message)
        self.flush()

    def renew(self) -> None:
        """Mark what was delivered, then extend the lease on the rest, dropping any message
        another worker took over (this worker must not send it)."""
        self.flush()
        now = self.clock()
        self.lease_until = now + _lease()
        self.held = claims.renew(self.held, self.worker_id, self.lease_until, now)

    def flush(self) -> None:
        if not self.to_mark:
            return
        refs = {pk: ref[:200] for pk, ref in self.to_mark.items()}
        marked = claims.mark_sent(refs, self.worker_id, self.clock())
        self.stats.lost_lease += len(self.to_mark) - marked
        self.held -= set(self.to_mark)
        self.to_mark = {}

    def finish(self, message: Claimed, **values: object) -> None:
        self.held.discard(message.id)
        _fenced(message.id, self.worker_id).update(
            lease_until=None, updated_at=self.clock(), **values
        )

    def deliver(self, message: Claimed) -> None:
        stats = self.stats
        if message.patient_id not in self.channels:
            self.channels[message.patient_id] = resolve_channel(message.patient, self.opted_out)
        channel = self.channels[message.patient_id]
        if channel is None:
            self.finish(
                message,
                status=MessageStatus.CANCELLED,
                last_error="the patient no longer receives messages",
            )
            stats.cancelled += 1
            return
        if message.in_flight:
            # A worker died during this send. Ask the channel the message was sent on.
            backend = self.backend(message.channel)
            delivered = backend.confirm(message.idempotency_key)
            if delivered:
                self.to_mark[message.id] = message.provider_ref
                stats.recovered += 1
                return
            if delivered is None and not backend.deduplicates:
                self.finish(
                    message,
                    status=MessageStatus.FAILED,
                    last_error="delivery unconfirmed: the worker stopped during the send; "
                    "check with the patient before retrying",
                )
                stats.unconfirmed += 1
                return
            channel = message.channel  # resend on the same channel, with the same key
        if channel != message.channel:
            # The patient's channel changed since enqueue: record it before sending, so a
            # crash during this send is confirmed with the channel actually used.
            if not _fenced(message.id, self.worker_id).update(channel=channel):
                self.held.discard(message.id)
                stats.lost_lease += 1
                return
            message.channel = channel
        try:
            out = outgoing(message, channel, self.renderer)
            provider_ref = self.backend(channel).send(out)
        except Exception as exc:  # noqa: BLE001 — every failure is recorded on the row
            self.failed(message, exc)
            return
        self.to_mark[message.id] = provider_ref or ""
        stats.sent += 1

    def failed(self, message: Claimed, exc: Exception) -> None:
        permanent = isinstance(exc, DeliveryError) and exc.permanent
        error = f"{type(exc).__name__}: {exc}"[:2000]
        now = self.clock()
        if permanent or message.attempts >= message.max_attempts:
            self.finish(message, status=MessageStatus.FAILED, last_error=error)
            self.stats.failed += 1
        else:
            self.finish(
                message,
                status=MessageStatus.PENDING,
                last_error=error,
                claimed_by="",
                next_attempt_at=now + backoff(message.attempts),
            )
            self.stats.retrying += 1
        log.warning("outbox message %s: %s", message.id, error)


def outgoing(message: Claimed, channel: str, renderer: Renderer) -> Outgoing:
    """The message as the channel sends it (only that channel's parts are rendered), in the
    active language."""
    rendered = renderer.render(message, channel)
    is_email = channel == MessageChannel.EMAIL
    return Outgoing(
        key=message.idempotency_key,
        channel=channel,
        to=address_for(message.patient, channel),
        subject=rendered.subject,
        text=rendered.text if is_email else rendered.sms,
        html=rendered.html if is_email else "",
        attachments=rendered.attachments if is_email else [],
    )


def deliver_claimed(
    batch: ClaimedBatch,
    worker_id: str,
    clock: Callable[[], dt.datetime],
    stats: DeliveryStats,
) -> None:
    """Send a claimed batch and record the outcomes."""
    if batch:
        _Batch(batch, worker_id, clock, stats).run()


def deliver_due(
    batch_size: int = 100, now: dt.datetime | None = None, *, worker_id: str | None = None
) -> DeliveryStats:
    """Deliver one batch of due messages. Safe to run in any number of processes at once."""
    worker_id = worker_id or new_worker_id()
    clock: Callable[[], dt.datetime] = (lambda: now) if now is not None else timezone.now
    stats = DeliveryStats()
    deliver_claimed(claim(batch_size, clock(), worker_id, stats), worker_id, clock, stats)
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
