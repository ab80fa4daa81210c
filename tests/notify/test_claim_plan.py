"""The claims' plans on PostgreSQL: a claim reads the open messages through its partial index,
in the index's order, and stops at the batch's last row — no scan of the whole table, no sort
of every due message — however many messages were sent before, and before any statistics."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from mesocare.notify import claims, worker
from mesocare.notify.choices import MessageStatus
from mesocare.notify.models import OutboxMessage
from tests.notify.test_batch_delivery import T0, fill

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("plans and partial-index scans are PostgreSQL's")


def nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from nodes(child)


def claim_statement(marker: str, now: dt.datetime) -> str:
    """The text of the claim statement whose WHERE names `marker`, as the worker sent it (the
    claim itself rolled back)."""
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        worker.claim(50, now, "probe", worker.DeliveryStats())
        transaction.set_rollback(True)
    return next(q["sql"] for q in queries if q["sql"].startswith("UPDATE") and marker in q["sql"])


def plan_of(sql: str) -> list[dict[str, Any]]:
    with transaction.atomic(), connection.cursor() as cursor:
        claims.follow_claim_indexes()
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (raw,) = cursor.fetchone()
        transaction.set_rollback(True)
    plan = raw if isinstance(raw, list) else json.loads(raw)
    return list(nodes(plan[0]["Plan"]))


def assert_reads_in_index_order(steps: list[dict[str, Any]], index: str) -> None:
    table = OutboxMessage._meta.db_table
    kinds = {step["Node Type"] for step in steps}
    assert "Sort" not in kinds and "Bitmap Heap Scan" not in kinds, kinds
    assert not [s for s in steps if s["Node Type"] == "Seq Scan" and s["Relation Name"] == table]
    # The queue read through its partial index, the claimed rows found again by their key.
    assert {step["Index Name"] for step in steps if "Index Name" in step} == {
        index,
        f"{table}_pkey",
    }


def test_a_claim_of_due_messages_reads_the_pending_index_in_order(clinic, journal, settings):
    settings.NOTIFY_QUIET_HOURS = ""
    fill(clinic, 300)
    worker.deliver_due(200, now=T0)  # two thirds sent: their old entries are dead now
    assert OutboxMessage.objects.filter(status=MessageStatus.SENT).count() == 200
    sql = claim_statement('"next_attempt_at" <=', T0)
    assert_reads_in_index_order(plan_of(sql), "outbox_due")


def test_taking_over_expired_leases_reads_the_sending_index_in_order(clinic, journal, settings):
    settings.NOTIFY_QUIET_HOURS = ""
    fill(clinic, 300)
    worker.deliver_due(200, now=T0)
    # A hundred left `sending` by a worker that died; their leases ran out.
    OutboxMessage.objects.filter(status=MessageStatus.PENDING).update(
        status=MessageStatus.SENDING, claimed_by="dead", lease_until=T0
    )
    sql = claim_statement('"lease_until" <', T0 + dt.timedelta(hours=1))
    assert_reads_in_index_order(plan_of(sql), "outbox_leased")
