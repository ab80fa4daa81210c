"""django-tasks jobs of the outbox (the database backend runs them in `mesocare worker`)."""

from __future__ import annotations

import dataclasses
from typing import Any

from django_tasks import task

from mesocare.notify.worker import DeliveryStats, deliver_due, new_worker_id


@task()
def deliver_outbox(batch_size: int = 100, max_batches: int = 50) -> dict[str, Any]:
    """Deliver what is due now, batch after batch (the staff "send now" and retry buttons
    enqueue this so a message leaves without waiting for the polling loop)."""
    worker_id = new_worker_id()
    total = DeliveryStats()
    for _ in range(max_batches):
        stats = deliver_due(batch_size, worker_id=worker_id)
        total.add(stats)
        if stats.claimed == 0:
            break
    return dataclasses.asdict(total)
