"""Two workers at once on PostgreSQL: SKIP LOCKED gives them disjoint messages."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from django.db import connection, connections, transaction
from django.utils import timezone

from mesocare.notify.services import enqueue
from mesocare.notify.worker import DeliveryStats, deliver_due

N = 200


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_workers_never_deliver_a_key_twice(clinic, journal, settings):
    if connection.vendor != "postgresql":
        pytest.skip("concurrent claiming is a PostgreSQL property (SQLite serializes writers)")
    settings.NOTIFY_JOURNAL_DELAY_MS = 2
    with transaction.atomic():
        for i in range(N):
            enqueue(
                clinic.org,
                clinic.patient,
                "waitlist_offer",
                due_at=timezone.now(),
                payload={"patient_name": "G", "clinic": "A", "subject": "S", "body": "B"},
                idempotency_key=f"conc-{i}",
            )
    totals: list[DeliveryStats] = []
    barrier = threading.Barrier(2)

    def work() -> None:
        total = DeliveryStats()
        barrier.wait()
        try:
            while True:
                stats = deliver_due(batch_size=7)
                total.add(stats)
                if stats.claimed == 0:
                    break
        finally:
            connections.close_all()
        totals.append(total)

    threads = [threading.Thread(target=work) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    keys = [json.loads(x)["key"] for x in journal.read_text().splitlines()]
    assert [k for k, n in Counter(keys).items() if n > 1] == []
    assert len(keys) == N
    assert sum(t.sent for t in totals) == N
    assert all(t.sent > 0 for t in totals)  # both workers did take part
