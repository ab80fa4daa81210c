"""Outbox throughput, and exactly-once delivery across a worker killed with SIGKILL mid-batch.

Run from the repository root: ``python bench/outbox.py`` (quick: 20,000 messages) or
``python bench/outbox.py --messages 100000`` (the full run). On a throw-away PostgreSQL
database (SQLite when PostgreSQL is unreachable):

1. enqueue: `notify.enqueue_many` (one INSERT … ON CONFLICT DO NOTHING per 1,000 rows) beside
   the single path, `notify.enqueue` once per message in transactions of 1,000 (the
   reference, on `--reference` messages); then the first chunk again, which must add nothing;
   the delivery's reference is one process only rendering the messages (no database, no send);
2. delivery: N worker processes running `deliver_due` at once (batched claims, SKIP LOCKED)
   through an SMS recipient that records every key it is handed in an append-only file
   shared by the processes, and answers `confirm(key)` from it;
3. the crash: a quarter as many messages again, the same workers; one is killed with
   SIGKILL while it holds a claimed batch it has partly sent; its lease (`--lease` seconds)
   runs out and the others finish, confirming with the recipient what the dead one sent.

Prints the rates beside the 5,000 messages/s targets, and the keys the recipient got twice
(duplicates) or never (lost) over both phases: both must be 0. Never asserts wall-clock.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import signal
import sys
import tempfile
import time
from collections import Counter
from itertools import groupby
from pathlib import Path
from typing import Any, NamedTuple

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import throwaway_database  # noqa: E402

TARGET = 5_000  # messages/s, enqueue and delivery with 4 workers
RECIPIENT = "MESOCARE_BENCH_RECIPIENT"
LOCAL = {"", "localhost", "127.0.0.1", "::1"}  # database hosts whose sessions /proc shows
PAYLOAD = {"patient_name": "P", "clinic": "Bench", "subject": "S", "body": "A slot is free"}


class Recipient:
    """The provider as the patient sees it: one line per key handed over, appended to a file
    shared by every worker process (one write() on an O_APPEND descriptor: a line is in the
    file whole, or not at all, even when the process is killed right after)."""

    deduplicates = False
    fd: int | None = None
    sent = 0
    on_sent: Any = None  # (count) -> None, the victim's trigger

    def send(self, out: Any) -> str:
        if Recipient.fd is None:
            Recipient.fd = os.open(os.environ[RECIPIENT], os.O_WRONLY | os.O_APPEND)
        os.write(Recipient.fd, (out.key + "\n").encode())
        Recipient.sent += 1
        if Recipient.on_sent is not None:
            Recipient.on_sent(Recipient.sent)
        return ""

    def confirm(self, key: str) -> bool | None:
        return key in received()


def received() -> Counter[str]:
    return Counter(Path(os.environ[RECIPIENT]).read_text().split())


def _session_cpu() -> float | None:
    """CPU seconds this process's PostgreSQL session has used so far, read from /proc; None on
    SQLite or when the server is not on this machine."""
    from django.db import connection

    if connection.vendor != "postgresql" or connection.settings_dict["HOST"] not in LOCAL:
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


class Worked(NamedTuple):
    worker_id: str
    sent: int
    recovered: int
    claimed: int
    cpu: float  # seconds of CPU in the worker process
    session_cpu: float | None  # … and in its PostgreSQL session


def _open_count() -> int:
    from mesocare.notify.models import OutboxMessage

    return OutboxMessage.objects.filter(status__in=["pending", "sending"]).count()


def _deliver(worker_id: str, batch_size: int, results: Any, trigger: Any = None) -> None:
    """A worker process: deliver until nothing is open (waiting out dead workers' leases)."""
    from django.db import connections

    from mesocare.notify.worker import DeliveryStats, deliver_due

    connections.close_all()  # never share the parent's connection after fork
    if trigger is not None:
        at, event = trigger

        def on_sent(count: int) -> None:
            if count == at:
                event.set()  # the parent kills this process now, mid-batch

        Recipient.on_sent = on_sent
    total = DeliveryStats()
    cpu, session = time.process_time(), _session_cpu()
    while True:
        stats = deliver_due(batch_size, worker_id=worker_id)
        total.add(stats)
        if stats.claimed == 0 and stats.deferred == 0:
            if _open_count() == 0:
                break
            time.sleep(0.05)  # someone holds a lease, live or dead
    session_end = _session_cpu()
    session_cpu = session_end - session if session is not None and session_end is not None else None
    connections.close_all()
    results.put(
        Worked(worker_id, total.sent, total.recovered, total.claimed,
               time.process_time() - cpu, session_cpu)
    )  # fmt: skip


def _run_workers(
    ctx: Any, n: int, batch_size: int, phase: str, victim_at: int | None = None
) -> tuple[float, list[Worked], dict[str, int]]:
    results = ctx.Queue()
    event = ctx.Event()
    procs = []
    started = time.perf_counter()
    for w in range(n):
        trigger = (victim_at, event) if victim_at is not None and w == 0 else None
        args = (f"bench-{phase}-{w + 1}", batch_size, results, trigger)
        procs.append(ctx.Process(target=_deliver, args=args))
        procs[-1].start()
    killed: dict[str, int] = {}
    if victim_at is not None:
        while not event.wait(timeout=0.5):
            if not procs[0].is_alive():
                raise SystemExit("the victim finished before its kill point")
        os.kill(procs[0].pid, signal.SIGKILL)
        procs[0].join()
        killed = _held_by(f"bench-{phase}-1")
    out = [results.get() for _ in range(n - (1 if victim_at is not None else 0))]
    for proc in procs:
        proc.join()
    return time.perf_counter() - started, out, killed


def _held_by(worker_id: str) -> dict[str, int]:
    from mesocare.notify.models import OutboxMessage

    keys = list(
        OutboxMessage.objects.filter(status="sending", claimed_by=worker_id).values_list(
            "idempotency_key", flat=True
        )
    )
    got = received()
    return {"held": len(keys), "sent_not_marked": sum(1 for k in keys if k in got)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--reference", type=int, default=2_000, help="messages on the single path")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument("--chunk", type=int, default=5_000, help="messages per enqueue_many")
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--database", default="mc_bench_outbox", help="throw-away database name")
    parser.add_argument("--lease", type=int, default=3, help="lease seconds (short for the kill)")
    args = parser.parse_args()
    os.environ.update(
        NOTIFY_QUIET_HOURS="",
        SMS_BACKEND="bench_recipient",
        NOTIFY_LEASE_SECONDS=str(args.lease),
        NOTIFY_SEND_TIMEOUT="1",
        EMAIL_TIMEOUT="1",
        DEBUG="0",
    )
    fd, recipient = tempfile.mkstemp(prefix="outbox-recipient-")
    os.close(fd)
    os.environ[RECIPIENT] = recipient
    try:
        with throwaway_database(args.database) as vendor:
            run(args, vendor)
    finally:
        os.unlink(recipient)


def run(args: argparse.Namespace, vendor: str) -> None:
    from django.db import connections, transaction
    from django.utils import timezone

    from mesocare.clinics.models import Location, Organization
    from mesocare.notify import channels
    from mesocare.notify.bulk import NewMessage, enqueue_many
    from mesocare.notify.models import OutboxMessage
    from mesocare.notify.services import enqueue
    from mesocare.patients.models import Patient

    channels.SMS_BACKENDS["bench_recipient"] = Recipient
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
        )
        for i in range(args.patients)
    )
    now = timezone.now()

    def new(prefix: str, i: int) -> NewMessage:
        return NewMessage(
            patients[i % len(patients)], "waitlist_offer", now, PAYLOAD, f"{prefix}-{i}"
        )

    # 1. enqueue: the single path (reference), then the bulk path
    started = time.perf_counter()
    for chunk in range(0, args.reference, 1000):
        with transaction.atomic():
            for i in range(chunk, min(chunk + 1000, args.reference)):
                m = new("ref", i)
                enqueue(org, m.patient, m.kind, due_at=m.due_at, payload=m.payload,
                        idempotency_key=m.idempotency_key)  # fmt: skip
    single_rate = args.reference / (time.perf_counter() - started)
    OutboxMessage.objects.filter(idempotency_key__startswith="ref-").delete()
    started = time.perf_counter()
    new_rows = 0
    for chunk in range(0, args.messages, args.chunk):
        with transaction.atomic():
            end = min(chunk + args.chunk, args.messages)
            new_rows += enqueue_many(org, (new("bulk", i) for i in range(chunk, end))).new
    bulk_s = time.perf_counter() - started
    with transaction.atomic():
        again = enqueue_many(org, (new("bulk", i) for i in range(min(args.chunk, args.messages))))
    connections.close_all()

    # 2. delivery by N processes
    ctx = multiprocessing.get_context("fork")
    deliver_s, delivered, _ = _run_workers(ctx, args.workers, args.batch_size, "run")

    # 3. a worker killed with SIGKILL mid-batch
    crash_n = max(args.messages // 4, 2 * args.workers * args.batch_size)
    with transaction.atomic():
        enqueue_many(org, (new("crash", i) for i in range(crash_n)))
    connections.close_all()
    victim_at = args.batch_size // 2  # halfway through its first batch
    crash_s, crashed, killed = _run_workers(
        ctx, args.workers, args.batch_size, "crash", victim_at=victim_at
    )

    # Reference for delivery: one process only rendering the same messages (no database, no
    # send), as the worker does (a batch's templates looked up once, each language activated
    # once for consecutive messages in it): the Python work each message needs at the least.
    from django.utils import translation

    from mesocare.notify.claims import CLAIMED, Claimed, addressees
    from mesocare.notify.rendering import Renderer, message_language
    from mesocare.notify.worker import outgoing

    rows = OutboxMessage.objects.order_by("id").values_list(*CLAIMED)[:2000]
    sample = [Claimed(**dict(zip(CLAIMED, row, strict=True)), in_flight=False) for row in rows]
    reachable = addressees({c.patient_id for c in sample})
    for claimed in sample:
        claimed.patient = reachable[claimed.patient_id]
    renderer = Renderer()
    started = time.perf_counter()
    for language, messages in groupby(sample, key=message_language):
        with translation.override(language):
            for message in messages:
                outgoing(message, message.channel, renderer)
    render_rate = len(sample) / (time.perf_counter() - started)

    keys = received()
    expected = {f"bulk-{i}" for i in range(args.messages)} | {f"crash-{i}" for i in range(crash_n)}
    duplicates = sum(1 for n in keys.values() if n > 1)
    lost = len(expected - set(keys))
    sent_rows = OutboxMessage.objects.filter(status="sent").count()
    enqueue_rate = args.messages / bulk_s
    deliver_rate = args.messages / deliver_s

    def verdict(ok: bool) -> str:
        return "met" if ok else "NOT met"

    print(f"database               {vendor}")
    print(f"messages               {args.messages:,} (+ {crash_n:,} in the crash phase)")
    print(f"enqueue, bulk          {enqueue_rate:,.0f} messages/s ({bulk_s:.1f} s, "
          f"{args.chunk:,} per call; {new_rows:,} new)")  # fmt: skip
    print(f"enqueue, single (ref)  {single_rate:,.0f} messages/s ({args.reference:,} messages)"
          f"  -> bulk is {enqueue_rate / single_rate:.1f}x")  # fmt: skip
    print(f"enqueue, same keys     {again.new} new of {again.new + again.existing:,}")
    print(f"deliver ({args.workers} workers)    {deliver_rate:,.0f} messages/s "
          f"({deliver_s:.1f} s, batch {args.batch_size})")  # fmt: skip
    print(f"render only (ref)      {render_rate:,.0f} messages/s in one process "
          f"-> delivery is {deliver_rate / render_rate:.2f}x of it")  # fmt: skip
    for w in sorted(delivered):
        print(f"  {w.worker_id:<20} sent {w.sent:,} (claimed {w.claimed:,})")
    cpu = sum(w.cpu for w in delivered) / args.messages
    sessions = [w.session_cpu for w in delivered]
    if all(s is not None for s in sessions):
        session_cpu = sum(s or 0 for s in sessions) / args.messages
        cores = os.cpu_count() or 1
        print(f"CPU a message          {cpu * 1e6:.0f} us in the workers + "
              f"{session_cpu * 1e6:.0f} us in their PostgreSQL sessions -> at most "
              f"{cores / (cpu + session_cpu):,.0f} messages/s on {cores} idle cores")  # fmt: skip
    else:
        print(f"CPU a message          {cpu * 1e6:.0f} us in the workers")
    print(f"crash phase            worker bench-crash-1 SIGKILLed holding {killed['held']} "
          f"messages, {killed['sent_not_marked']} of them sent and not yet marked")  # fmt: skip
    for w in sorted(crashed):
        print(f"  {w.worker_id:<20} sent {w.sent:,}, confirmed without resending {w.recovered}")
    print(f"  finished in          {crash_s:.1f} s (lease {args.lease} s included)")
    print(f"rows marked sent       {sent_rows:,} of {len(expected):,}")
    print(f"duplicates             {duplicates}")
    print(f"lost                   {lost}")
    print(f"target enqueue >= {TARGET:,}/s      {verdict(enqueue_rate >= TARGET)}")
    print(f"target delivery >= {TARGET:,}/s     {verdict(deliver_rate >= TARGET)}")
    print(f"target 0 duplicates, 0 lost  {verdict(duplicates == 0 and lost == 0)}")


if __name__ == "__main__":
    main()
