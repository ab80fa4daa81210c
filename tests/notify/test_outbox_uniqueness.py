"""The outbox's idempotency key is unique in the database, not only in `enqueue`'s read.

`enqueue` looks the key up before inserting; two transactions that look at the same moment
both miss, and only the database's unique key keeps the second insert out.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.db import IntegrityError, connection, connections, transaction
from django.utils import timezone

from mesocare.notify.models import OutboxMessage
from mesocare.notify.services import enqueue

KEY = "appointment:1:reminder"


def _enqueue(clinic):
    return enqueue(
        clinic.org,
        clinic.patient,
        "reminder",
        due_at=timezone.now(),
        payload={"patient_name": "Giulia"},
        idempotency_key=KEY,
    )


@pytest.mark.django_db(transaction=True)
def test_the_same_key_enqueued_from_two_threads_at_once_is_one_message(clinic):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers are a PostgreSQL property (SQLite serializes them)")
    barrier = threading.Barrier(2)
    returned: list[int] = []
    failures: list[BaseException] = []

    def enqueue_and_hold() -> None:
        try:
            barrier.wait(timeout=10)
            with transaction.atomic():
                message = _enqueue(clinic)
                # Hold the transaction open so both threads have looked the key up and
                # inserted before either commits: only a unique key can refuse the second.
                time.sleep(0.5)
            assert message is not None
            returned.append(message.pk)
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            failures.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=enqueue_and_hold) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not failures, failures
    assert OutboxMessage.objects.filter(idempotency_key=KEY).count() == 1
    assert len(returned) == 2 and returned[0] == returned[1]


@pytest.mark.django_db
def test_a_raw_duplicate_insert_of_a_key_is_refused_by_the_database(clinic):
    with transaction.atomic():
        message = _enqueue(clinic)
    assert message is not None
    duplicate = OutboxMessage.objects.get(pk=message.pk)
    duplicate.pk = None
    with pytest.raises(IntegrityError), transaction.atomic():
        duplicate.save(force_insert=True)
    assert OutboxMessage.objects.filter(idempotency_key=KEY).count() == 1
