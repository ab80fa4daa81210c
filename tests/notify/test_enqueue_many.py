"""`enqueue_many`: many messages in one statement, each key written once, all or nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesocare.notify.bulk import BatchRefused, NewMessage, enqueue_many
from mesocare.notify.models import OutboxMessage, SmsOptOut
from mesocare.notify.services import enqueue

pytestmark = pytest.mark.django_db
T0 = dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC)


def msg(patient, key, kind="reminder", **kw):
    payload = kw.pop("payload", {"patient_name": "Giulia", "n": key})
    return NewMessage(patient, kind, kw.pop("due_at", T0), payload, key, **kw)


def test_a_key_repeated_in_one_call_is_written_once_and_the_first_stands(clinic):
    p = clinic.patient
    with transaction.atomic():
        result = enqueue_many(
            clinic.org, [msg(p, "a", payload={"v": 1}), msg(p, "b"), msg(p, "a", payload={"v": 2})]
        )
    assert (result.new, result.existing, result.new_keys) == (2, 1, ["a", "b"])
    assert OutboxMessage.objects.get(idempotency_key="a").payload == {"v": 1}


def test_keys_already_in_the_outbox_are_not_written_again(clinic):
    p = clinic.patient
    with transaction.atomic():
        enqueue(clinic.org, p, "reminder", due_at=T0, payload={"v": 0}, idempotency_key="a")
        first = enqueue_many(clinic.org, [msg(p, "b"), msg(p, "c")])
        second = enqueue_many(clinic.org, [msg(p, "a"), msg(p, "b"), msg(p, "d")])
    assert first.new == 2
    assert (second.new, second.existing, second.new_keys) == (1, 2, ["d"])
    assert OutboxMessage.objects.count() == 4
    assert OutboxMessage.objects.get(idempotency_key="a").payload == {"v": 0}
    assert [m.idempotency_key for m in second.messages()] == ["a", "b", "d"]


def test_one_bad_message_refuses_the_whole_batch_and_writes_nothing(clinic, other_clinic):
    p = clinic.patient
    batch = [
        msg(p, "ok-1"),
        msg(p, "bad-kind", kind="birthday"),
        msg(other_clinic.patient, "stranger"),
        msg(p, "naive", due_at=dt.datetime(2026, 12, 7, 9, 0)),
        msg(p, "zone", tz="Mars/Olympus"),
        msg(p, "ok-2"),
    ]
    with transaction.atomic(), pytest.raises(BatchRefused) as refused:
        enqueue_many(clinic.org, batch)
    assert [(i, key) for i, key, _why in refused.value.errors] == [
        (1, "bad-kind"), (2, "stranger"), (3, "naive"), (4, "zone"),
    ]  # fmt: skip
    assert "unknown message kind 'birthday'" in str(refused.value)
    assert "another organization" in str(refused.value)
    assert not OutboxMessage.objects.exists()


def test_rows_match_what_enqueue_writes_for_the_same_message(clinic, make):
    emailer = make.patient(email="a@example.org", phone="+39 333 1", preferred_channel="sms")
    SmsOptOut.objects.create(organization=clinic.org, phone_digits="393331")
    with transaction.atomic():
        single = enqueue(clinic.org, emailer, "reminder", due_at=T0, payload={"x": 1},
                         idempotency_key="one", related={"plan": None})  # fmt: skip
        (bulk,) = enqueue_many(clinic.org, [msg(emailer, "many", payload={"x": 1})]).messages()
    fields = ["organization_id", "patient_id", "kind", "channel", "template", "payload",
              "due_at", "next_attempt_at", "timezone", "status", "attempts"]  # fmt: skip
    assert single is not None and single.channel == "email"  # the number texted STOP
    assert {f: getattr(bulk, f) for f in fields} == {f: getattr(single, f) for f in fields}


def test_patients_who_receive_nothing_are_counted_not_written(clinic, make):
    quiet = make.patient(preferred_channel="none")
    with transaction.atomic():
        result = enqueue_many(clinic.org, [msg(quiet, "q"), msg(clinic.patient, "p")])
    assert (result.new, result.no_channel) == (1, 1)


def test_the_number_of_queries_does_not_grow_with_the_batch(
    clinic, make, django_assert_max_num_queries
):
    patients = [make.patient(email=f"p{i}@example.org") for i in range(5)]
    # SQLite takes as many INSERTs as its parameter limit needs; PostgreSQL always one.
    sizes = (10, 200) if connection.vendor == "postgresql" else (10, 40)
    for size in sizes:
        # the test's savepoint, the clinic's time zone, enqueue_many's savepoint, one INSERT
        with django_assert_max_num_queries(6), transaction.atomic():
            result = enqueue_many(
                clinic.org, [msg(patients[i % 5], f"s{size}-{i}") for i in range(size)]
            )
        assert result.new == size


def test_outside_a_transaction_is_refused(clinic):
    saved = connection.in_atomic_block
    connection.in_atomic_block = False
    try:
        with pytest.raises(RuntimeError, match="inside the transaction"):
            enqueue_many(clinic.org, [msg(clinic.patient, "x")])
    finally:
        connection.in_atomic_block = saved


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    first=st.lists(st.sampled_from("abcdefgh"), max_size=12),
    second=st.lists(st.sampled_from("abcdefgh"), max_size=12),
)
def test_any_two_calls_write_each_distinct_key_exactly_once(clinic, first, second):
    p = clinic.patient
    with transaction.atomic():
        one = enqueue_many(clinic.org, [msg(p, k, payload={"call": 1}) for k in first])
        two = enqueue_many(clinic.org, [msg(p, k, payload={"call": 2}) for k in second])
        rows = dict(OutboxMessage.objects.values_list("idempotency_key", "payload"))
        transaction.set_rollback(True)  # each example starts from an empty outbox
    assert set(rows) == set(first) | set(second)
    assert one.new + two.new == len(rows)
    assert one.new_keys == list(dict.fromkeys(first))
    assert two.new_keys == [k for k in dict.fromkeys(second) if k not in first]
    assert all(rows[k] == {"call": 1 if k in first else 2} for k in rows)
    assert one.new + one.existing == len(first) and two.new + two.existing == len(second)
