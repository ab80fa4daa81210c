"""The worker loop: send, retry with back-off, fail visibly, defer at night, recover."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core import mail
from django.utils import timezone

from mesocare.notify import channels
from mesocare.notify.choices import MessageStatus
from mesocare.notify.models import OutboxMessage
from mesocare.notify.services import enqueue
from mesocare.notify.worker import backoff, deliver_due

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2025, 6, 10, 10, 0, tzinfo=dt.UTC)  # 12:00 in Rome


def lines(path):
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def notice(clinic, patient=None, key="n1", due=T0):
    return enqueue(
        clinic.org,
        patient or clinic.patient,
        "waitlist_offer",
        due_at=due,
        payload={"patient_name": "Giulia", "clinic": "Alpha", "subject": "Hi", "body": "A slot"},
        idempotency_key=key,
        tz="Europe/Rome",
    )


class Flaky:
    """An SMS backend that fails the first `failures` sends."""

    deduplicates = False
    calls = 0
    failures = 0
    permanent = False

    def send(self, out):
        Flaky.calls += 1
        if Flaky.calls <= Flaky.failures:
            raise channels.DeliveryError("gateway down", permanent=Flaky.permanent)
        return "ref-1"

    def confirm(self, key):
        return None


@pytest.fixture
def flaky(settings):
    settings.SMS_BACKEND = "tests_flaky"
    channels.SMS_BACKENDS["tests_flaky"] = Flaky
    Flaky.calls, Flaky.failures, Flaky.permanent = 0, 0, False
    yield Flaky
    channels.SMS_BACKENDS.pop("tests_flaky")


def test_a_due_message_is_sent_once_and_marked_sent(clinic, journal):
    message = notice(clinic)
    stats = deliver_due(now=T0)
    assert (stats.claimed, stats.sent) == (1, 1)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert message.sent_at == T0 and message.lease_until is None
    assert [e["key"] for e in lines(journal)] == ["n1"]
    assert deliver_due(now=T0 + dt.timedelta(hours=1)).claimed == 0
    assert len(lines(journal)) == 1


def test_messages_not_yet_due_wait(clinic, journal):
    notice(clinic, due=T0 + dt.timedelta(minutes=5))
    assert deliver_due(now=T0).claimed == 0
    assert deliver_due(now=T0 + dt.timedelta(minutes=5)).sent == 1


def test_email_has_text_html_and_the_idempotency_key(clinic, make, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFY_QUIET_HOURS = ""
    patient = make.patient()
    notice(clinic, patient)
    deliver_due(now=T0)
    (email,) = mail.outbox
    assert email.to == ["anna@example.org"]
    assert email.extra_headers[channels.KEY_HEADER] == "n1"
    assert email.alternatives and email.alternatives[0][1] == "text/html"
    assert "A slot" in email.body


def test_a_failed_send_is_retried_with_exponential_backoff_then_fails(clinic, flaky, settings):
    settings.NOTIFY_QUIET_HOURS = ""
    flaky.failures = 99
    message = notice(clinic)
    now = T0
    expected = [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    for attempt, wait in enumerate(expected, start=1):
        assert deliver_due(now=now).retrying == 1
        message.refresh_from_db()
        assert message.status == MessageStatus.PENDING
        assert message.attempts == attempt
        assert message.next_attempt_at == now + wait
        assert "gateway down" in message.last_error
        assert deliver_due(now=now + wait - dt.timedelta(seconds=1)).claimed == 0
        now += wait
    assert deliver_due(now=now).failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == 5
    assert flaky.calls == 5


def test_a_send_that_succeeds_on_retry_is_sent(clinic, flaky, settings):
    settings.NOTIFY_QUIET_HOURS = ""
    flaky.failures = 1
    message = notice(clinic)
    deliver_due(now=T0)
    deliver_due(now=T0 + backoff(1))
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 2
    assert message.provider_ref == "ref-1" and message.last_error == ""


def test_a_permanent_error_fails_at_once(clinic, flaky, settings):
    settings.NOTIFY_QUIET_HOURS = ""
    flaky.failures, flaky.permanent = 1, True
    message = notice(clinic)
    assert deliver_due(now=T0).failed == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED and message.attempts == 1


def test_backoff_is_capped():
    assert backoff(1) == dt.timedelta(minutes=1)
    assert backoff(5) == dt.timedelta(minutes=16)
    assert backoff(30) == dt.timedelta(hours=6)


def test_quiet_hours_defer_to_eight_local_time_without_an_attempt(clinic, journal, settings):
    settings.NOTIFY_QUIET_HOURS = "21:00-08:00"
    night = dt.datetime(2025, 6, 10, 20, 30, tzinfo=dt.UTC)  # 22:30 in Rome
    message = notice(clinic, due=night)
    stats = deliver_due(now=night)
    assert (stats.claimed, stats.deferred, stats.sent) == (0, 1, 0)
    message.refresh_from_db()
    morning = dt.datetime(2025, 6, 11, 6, 0, tzinfo=dt.UTC)  # 08:00 in Rome
    assert message.status == MessageStatus.PENDING and message.attempts == 0
    assert message.next_attempt_at == morning
    assert deliver_due(now=morning - dt.timedelta(minutes=1)).claimed == 0
    assert deliver_due(now=morning).sent == 1


def test_a_patient_who_opts_out_after_enqueue_gets_nothing(clinic, journal):
    message = notice(clinic)
    clinic.patient.preferred_channel = "none"
    clinic.patient.save()
    assert deliver_due(now=T0).cancelled == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.CANCELLED
    assert lines(journal) == []


def _crash_mid_send(message, worker="dead-worker"):
    """What a SIGKILL between send and mark leaves: `sending`, leased to a dead worker."""
    OutboxMessage.objects.filter(pk=message.pk).update(
        status=MessageStatus.SENDING,
        claimed_by=worker,
        lease_until=T0 + dt.timedelta(minutes=2),
        attempts=1,
    )


def test_a_message_delivered_before_a_crash_is_confirmed_not_resent(clinic, journal):
    message = notice(clinic)
    _crash_mid_send(message)
    channels.append_journal({"key": message.idempotency_key, "channel": "sms"})
    assert deliver_due(now=T0 + dt.timedelta(minutes=1)).claimed == 0  # lease still held
    stats = deliver_due(now=T0 + dt.timedelta(minutes=3))
    assert (stats.recovered, stats.sent) == (1, 0)
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT
    assert len(lines(journal)) == 1


def test_a_message_not_delivered_before_a_crash_is_sent_after_the_lease(clinic, journal):
    message = notice(clinic)
    _crash_mid_send(message)
    stats = deliver_due(now=T0 + dt.timedelta(minutes=3))
    assert stats.sent == 1
    message.refresh_from_db()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert [e["key"] for e in lines(journal)] == [message.idempotency_key]


def test_an_unconfirmable_crashed_send_fails_visibly_instead_of_resending(clinic, flaky, settings):
    settings.NOTIFY_QUIET_HOURS = ""
    message = notice(clinic)
    _crash_mid_send(message)
    stats = deliver_due(now=T0 + dt.timedelta(minutes=3))
    assert stats.unconfirmed == 1 and flaky.calls == 0
    message.refresh_from_db()
    assert message.status == MessageStatus.FAILED
    assert "unconfirmed" in message.last_error


def test_a_worker_that_lost_its_lease_does_not_send(clinic, journal):
    from mesocare.notify import worker

    message = notice(clinic)
    stats = worker.DeliveryStats()
    claimed = worker.claim(10, T0, "slow-worker", stats)
    # The slow worker stalled past its lease, and another worker took the message over.
    OutboxMessage.objects.filter(pk=message.pk).update(claimed_by="other-worker")
    later = T0 + dt.timedelta(minutes=5)
    worker.deliver_claimed(claimed, "slow-worker", lambda: later, stats)
    assert stats.lost_lease == 1 and stats.sent == 0
    assert lines(journal) == []
    message.refresh_from_db()
    assert message.status == MessageStatus.SENDING and message.claimed_by == "other-worker"


def test_deliver_due_on_an_empty_outbox_is_a_no_op(db):
    assert deliver_due().claimed == 0


def test_the_delivery_task_delivers(clinic, journal):
    from mesocare.notify.tasks import deliver_outbox

    notice(clinic, due=timezone.now() - dt.timedelta(minutes=1))
    result = deliver_outbox.call()
    assert result["sent"] == 1
