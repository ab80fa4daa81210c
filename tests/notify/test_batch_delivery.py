"""Batched delivery: a whole batch claimed and marked in a few statements, and a worker that
dies between sending and marking causes neither a second delivery nor a lost message."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.db import transaction

from mesocare.notify import channels, worker
from mesocare.notify.bulk import NewMessage, enqueue_many
from mesocare.notify.choices import MessageStatus
from mesocare.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2025, 6, 10, 10, 0, tzinfo=dt.UTC)
PAYLOAD = {"patient_name": "Giulia", "clinic": "Alpha", "subject": "Hi", "body": "A slot"}


class Killed(BaseException):
    """What SIGKILL does to a worker, as far as the database can tell: it stops, here."""


def fill(clinic, n, prefix="m"):
    with transaction.atomic():
        enqueue_many(
            clinic.org,
            [
                NewMessage(
                    clinic.patient, "waitlist_offer", T0, PAYLOAD, f"{prefix}-{i}", tz="Europe/Rome"
                )
                for i in range(n)
            ],  # fmt: skip
        )


def journal_keys(path):
    return [json.loads(x)["key"] for x in path.read_text().splitlines()] if path.exists() else []


def die_after(monkeypatch, sends):
    """The journal SMS backend, with the worker killed after `sends` sends of its batch."""
    real = channels.JournalSmsBackend.send
    count = {"n": 0}

    def send(self, out):
        result = real(self, out)
        count["n"] += 1
        if count["n"] == sends:
            raise Killed
        return result

    monkeypatch.setattr(channels.JournalSmsBackend, "send", send)


def test_a_worker_killed_between_send_and_mark_is_confirmed_not_resent(
    clinic, journal, monkeypatch
):
    fill(clinic, 10)
    die_after(monkeypatch, 4)
    with pytest.raises(Killed):
        worker.deliver_due(10, now=T0, worker_id="dead")
    monkeypatch.undo()
    # Four went out and none was marked: the batch is still leased to the dead worker.
    assert len(journal_keys(journal)) == 4
    assert (
        OutboxMessage.objects.filter(status=MessageStatus.SENDING, claimed_by="dead").count() == 10
    )
    assert worker.deliver_due(10, now=T0 + dt.timedelta(seconds=60)).claimed == 0  # lease runs
    stats = worker.deliver_due(10, now=T0 + dt.timedelta(minutes=3), worker_id="next")
    assert (stats.recovered, stats.sent, stats.unconfirmed) == (4, 6, 0)
    keys = journal_keys(journal)
    assert sorted(keys) == sorted(f"m-{i}" for i in range(10))  # each once: none twice, none lost
    assert set(OutboxMessage.objects.values_list("status", "attempts")) == {("sent", 1)}


class Deduplicating:
    """A provider that drops a key it has seen (the SMS webhook contract) and cannot confirm."""

    deduplicates = True
    handed: list[str] = []
    delivered: list[str] = []

    def send(self, out):
        Deduplicating.handed.append(out.key)
        if out.key not in Deduplicating.delivered:
            Deduplicating.delivered.append(out.key)
        if len(Deduplicating.handed) == 3:
            raise Killed
        return f"ref-{out.key}"

    def confirm(self, key):
        return None


def test_a_provider_that_deduplicates_is_handed_the_same_keys_again(clinic, settings):
    settings.SMS_BACKEND = "tests_dedup"
    settings.NOTIFY_QUIET_HOURS = ""
    channels.SMS_BACKENDS["tests_dedup"] = Deduplicating
    Deduplicating.handed, Deduplicating.delivered = [], []
    try:
        fill(clinic, 5)
        with pytest.raises(Killed):
            worker.deliver_due(5, now=T0, worker_id="dead")
        stats = worker.deliver_due(5, now=T0 + dt.timedelta(minutes=3), worker_id="next")
    finally:
        channels.SMS_BACKENDS.pop("tests_dedup")
    assert stats.sent == 5
    # The three keys handed before the crash were handed again, the same keys: the provider
    # dropped the copies and the patient got each message once.
    assert sorted(Deduplicating.handed) == sorted(
        [*[f"m-{i}" for i in range(5)], *Deduplicating.handed[:3]]
    )
    assert sorted(Deduplicating.delivered) == [f"m-{i}" for i in range(5)]
    assert OutboxMessage.objects.get(idempotency_key="m-4").provider_ref == "ref-m-4"


def test_a_batch_costs_the_same_few_queries_whatever_its_size(
    clinic, journal, django_assert_max_num_queries
):
    fill(clinic, 60)
    for size in (5, 50):
        # claim (the plan's settings on PostgreSQL, taken over, due, the rows with their
        # patients), the opt-outs, the mark
        with django_assert_max_num_queries(8):
            stats = worker.deliver_due(size, now=T0)
        assert stats.sent == size
    assert OutboxMessage.objects.filter(status=MessageStatus.SENT).count() == 55


def test_messages_sent_before_a_lease_renewal_are_marked_then(clinic, journal, settings):
    """A long batch renews its lease as it goes, and marks what it has sent each time, so a
    crash later in the batch leaves less to confirm."""
    settings.NOTIFY_LEASE_SECONDS = 30
    settings.NOTIFY_SEND_TIMEOUT = 10
    settings.EMAIL_TIMEOUT = 10
    fill(clinic, 6)
    ticks = iter(T0 + dt.timedelta(seconds=s) for s in range(0, 600, 4))
    stats = worker.DeliveryStats()
    batch = worker.claim(6, T0, "w", stats)
    worker.deliver_claimed(batch, "w", lambda: next(ticks), stats)
    assert stats.sent == 6 and stats.lost_lease == 0
    assert set(OutboxMessage.objects.values_list("status", flat=True)) == {"sent"}
