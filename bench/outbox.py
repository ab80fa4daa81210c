"""Outbox throughput and the exactly-once property under concurrent workers.

Run from the repository root: ``python bench/outbox.py [--messages 100000] [--workers 4]``.
Creates a throw-away PostgreSQL database (SQLite when PostgreSQL is unreachable), enqueues the
messages in transactions of 1,000 through `notify.enqueue` (idempotency check included), then
delivers them with N worker processes running `deliver_due` concurrently (SKIP LOCKED) through
a counting null SMS backend. Prints enqueue and delivery rates and the number of keys delivered
more than once (must be 0) or never. Never asserts wall-clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import throwaway_database  # noqa: E402

DELIVERED: list[str] = []


class CountingBackend:
    """The null backend, keeping the keys it was handed (the recipient's view)."""

    deduplicates = False

    def send(self, out: object) -> str:
        DELIVERED.append(out.key)  # type: ignore[attr-defined]
        return ""

    def confirm(self, key: str) -> bool | None:
        return None


def _worker(batch_size: int) -> tuple[list[str], dict[str, int]]:
    from django.db import connections

    from mesocare.notify.worker import DeliveryStats, deliver_due, new_worker_id

    connections.close_all()  # never share the parent's connection after fork
    worker_id, total = new_worker_id(), DeliveryStats()
    idle = 0
    while idle < 3:  # a few empty rounds: the others may still hold leases
        stats = deliver_due(batch_size, worker_id=worker_id)
        total.add(stats)
        idle = idle + 1 if stats.claimed == 0 else 0
    connections.close_all()
    return DELIVERED, {"sent": total.sent, "claimed": total.claimed, "retrying": total.retrying}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--patients", type=int, default=200)
    args = parser.parse_args()
    os.environ["NOTIFY_QUIET_HOURS"] = ""
    os.environ["SMS_BACKEND"] = "bench_counting"
    with throwaway_database("mc_bench_outbox") as vendor:
        from django.db import connections, transaction
        from django.utils import timezone

        from mesocare.clinics.models import Location, Organization
        from mesocare.notify import channels
        from mesocare.notify.models import OutboxMessage
        from mesocare.notify.services import enqueue
        from mesocare.patients.models import Patient

        channels.SMS_BACKENDS["bench_counting"] = CountingBackend
        org = Organization.objects.create(name="Bench", slug="bench")
        Location.objects.create(organization=org, name="Main", timezone="Europe/Rome")
        patients = Patient.objects.bulk_create(
            Patient(
                organization=org,
                given_name=f"P{i}",
                family_name="Bench",
                birth_date=dt.date(1990, 1, 1),
                sex_at_birth="female",
                phone=f"+39 333 {i:07d}",
                preferred_channel="sms",
            )  # fmt: skip
            for i in range(args.patients)
        )
        payload = {"patient_name": "P", "clinic": "Bench", "subject": "S", "body": "A slot"}
        now = timezone.now()
        started = time.perf_counter()
        for chunk in range(0, args.messages, 1000):
            with transaction.atomic():
                for i in range(chunk, min(chunk + 1000, args.messages)):
                    enqueue(org, patients[i % len(patients)], "waitlist_offer", due_at=now,
                            payload=payload, idempotency_key=f"bench-{i}")  # fmt: skip
        enqueue_s = time.perf_counter() - started
        connections.close_all()
        started = time.perf_counter()
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(args.workers) as pool:
            results = pool.map(_worker, [args.batch_size] * args.workers)
        deliver_s = time.perf_counter() - started
        keys = Counter(k for delivered, _ in results for k in delivered)
        duplicates = sum(1 for n in keys.values() if n > 1)
        missing = args.messages - len(keys)
        sent_rows = OutboxMessage.objects.filter(status="sent").count()
        print(f"database            {vendor}")
        print(f"messages            {args.messages}")
        print(
            f"enqueue             {args.messages / enqueue_s:,.0f} messages/s ({enqueue_s:.1f} s)"
        )
        print(f"deliver ({args.workers} workers) {args.messages / deliver_s:,.0f} messages/s "
              f"({deliver_s:.1f} s, batch {args.batch_size})")  # fmt: skip
        for n, (_, stats) in enumerate(results, start=1):
            print(f"  worker {n}          sent {stats['sent']}")
        print(f"rows marked sent    {sent_rows}")
        print(f"duplicates          {duplicates}")
        print(f"never delivered     {missing}")


if __name__ == "__main__":
    main()
