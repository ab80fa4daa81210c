"""Booking over HTTP under gunicorn: the full booking service against raw INSERT.

Run from the repository root:
``python bench/booking_http.py [--clients 16] [--attempts 40] [--rounds 1] [--workers CORES]
[--threads 4]`` (``BENCH_PG`` names the server's admin URL, ``BENCH_DB_PREFIX`` the database's
prefix; the full run is ``--attempts 200 --rounds 3``). It creates a throw-away PostgreSQL
database with the world of ``booking_throughput.py`` (16 practitioners and rooms, 2,000 patients
with an email address, 60 days of 30-minute slots), starts ``mesocare serve --prod`` on a free
port against it with the production environment of docs/operators.md (gunicorn, ``--workers``
as many as cores by default, ``--threads`` > 1 the gthread worker class through
``mesocare serve --threads``), and alternates for ``--rounds`` rounds:

1. raw INSERT: ``--clients`` threads, one row per transaction into a table of the appointment's
   columns without constraints or indexes (the reference of ``booking_throughput.py``);
2. HTTP booking: ``--clients`` client processes, each on its own connection, ``POST
   /api/v1/appointments`` with a bearer token: the whole request as a desk's system sends it
   (authentication, permission, the conflict-free single-statement insert, the audit row, the
   confirmation and the reminder in the outbox, the 201 body). Random slots collide about a
   quarter of the time; a 409 is a correct answer and counted apart.

It prints bookings/s and attempts/s of each, the median ratio HTTP booking / raw INSERT in
bookings/s (target >= 0.3), the number of overlapping active pairs counted in SQL (must be
0), every answer that was neither 201 nor 409 (must be none), and the audit and outbox rows
written per booking. Never asserts wall-clock.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import random
import statistics
import time
from collections import Counter
from typing import Any

from _harness import throwaway_database
from _prod_server import Server, headers, prod_server
from booking_throughput import OVERLAPS_SQL, raw_insert_attempt, run_clients, setup

DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "mc_bench")


def http_client(
    n: int,
    server: Server,
    token: str,
    choices: dict[str, list[Any]],
    attempts: int,
    barrier: Any,
    results: Any,
    read_only: bool = False,
) -> None:
    """One desk: ``attempts`` bookings of random slots, one after the other (``read_only``:
    ``GET /api/v1/me`` instead, the cheapest authenticated API request)."""
    rng = random.Random(1000 + n)
    head = headers(token)
    codes: Counter[int] = Counter()
    samples: dict[int, str] = {}
    conn = server.connection()
    barrier.wait()
    for _ in range(attempts):
        body = json.dumps(
            {
                "patient": rng.choice(choices["patients"]),
                "practitioner": rng.choice(choices["practitioners"]),
                "room": rng.choice(choices["rooms"]),
                "start": rng.choice(choices["slots"]),
                "duration_min": 30,
            }
        )
        try:
            if read_only:
                conn.request("GET", "/api/v1/me", headers=head)
            else:
                conn.request("POST", "/api/v1/appointments", body=body, headers=head)
            response = conn.getresponse()
            text = response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                conn.close()  # sync workers close after each answer; reconnects on the next
        except OSError as exc:
            conn.close()
            conn = server.connection()
            status, text = 0, repr(exc).encode()
        codes[status] += 1
        if status not in ((200,) if read_only else (201, 409)):
            samples.setdefault(status, text[:300].decode(errors="replace"))
    conn.close()
    results.put((dict(codes), samples))


def http_phase(
    server: Server,
    token: str,
    choices: dict[str, list[Any]],
    clients: int,
    attempts: int,
    read_only: bool = False,
) -> tuple[float, Counter[int], dict[int, str]]:
    """Wall seconds, answers by status and a sample body of each unexpected status."""
    ctx = mp.get_context("fork")  # the clients need no Django: only the lists above
    barrier = ctx.Barrier(clients + 1)
    results = ctx.Queue()
    procs = [
        ctx.Process(
            target=http_client,
            args=(n, server, token, choices, attempts, barrier, results, read_only),
        )
        for n in range(clients)
    ]
    for proc in procs:
        proc.start()
    barrier.wait()
    start = time.perf_counter()
    collected = [results.get() for _ in procs]
    elapsed = time.perf_counter() - start
    for proc in procs:
        proc.join()
    codes: Counter[int] = Counter()
    samples: dict[int, str] = {}
    for c, s in collected:
        codes.update(c)
        for status, text in s.items():
            samples.setdefault(status, text)
    return elapsed, codes, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--attempts", type=int, default=40, help="per client and phase")
    parser.add_argument("--rounds", type=int, default=1, help="raw/HTTP pairs (median)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--threads", type=int, default=4, help="per worker; 1: sync worker")
    args = parser.parse_args()
    with throwaway_database(f"{DB_PREFIX}_booking_http_{os.getpid()}", use_pg=True):
        from django.db import connection, connections

        from mesocare.accounts.models import ApiToken

        world = setup()
        _token, token = ApiToken.issue(world["actor"].membership, name="bench")
        raw_insert = raw_insert_attempt(world)
        choices = {
            "patients": [p.pk for p in world["patients"]],
            "practitioners": [m.pk for m in world["practitioners"]],
            "rooms": [r.pk for r in world["rooms"]],
            "slots": [s.isoformat() for s in world["slots"]],
        }
        database_url = os.environ["DATABASE_URL"]

        def scalar(sql: str) -> int:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return int(cursor.fetchone()[0])

        def empty() -> None:
            with connection.cursor() as cursor:  # each phase: an empty calendar and outbox
                cursor.execute(
                    "TRUNCATE scheduling_appointment, notify_outboxmessage, audit_auditevent, "
                    "bench_raw_appointment CASCADE"
                )

        connections.close_all()
        with prod_server(database_url, workers=args.workers, threads=args.threads, token=token) as (
            server
        ):
            print(
                f"PostgreSQL, {args.clients} clients x {args.attempts} attempts per phase; "
                f"{server.describe()}"
            )
            ratios, raw_rates, http_rates, me_rates, overlaps = [], [], [], [], 0
            unexpected: Counter[int] = Counter()
            samples: dict[int, str] = {}
            per_booking = ""
            for _round in range(args.rounds):
                empty()
                elapsed, ok, refused = run_clients(args.clients, args.attempts, raw_insert)
                raw = ok / elapsed
                print(
                    f"  {'raw INSERT (no constraints)':34s} {raw:7.0f} bookings/s  "
                    f"({ok} rows, {elapsed:.2f} s)"
                )
                empty()
                connections.close_all()  # no connection of this process crosses the fork
                elapsed, codes, round_samples = http_phase(
                    server, token, choices, args.clients, args.attempts
                )
                booked, conflicts = codes.get(201, 0), codes.get(409, 0)
                for status, count in codes.items():
                    if status not in (201, 409):
                        unexpected[status] += count
                for status, text in round_samples.items():
                    samples.setdefault(status, text)
                pairs = scalar(OVERLAPS_SQL)
                overlaps += pairs
                stored = scalar("SELECT count(*) FROM scheduling_appointment")
                audits = scalar("SELECT count(*) FROM audit_auditevent WHERE action = 'create'")
                messages = scalar("SELECT count(*) FROM notify_outboxmessage")
                per_booking = (
                    f"{audits / max(stored, 1):.2f} audit rows and "
                    f"{messages / max(stored, 1):.2f} outbox messages per booking "
                    f"({stored} appointments stored, {booked} answered 201)"
                )
                rate = booked / elapsed
                print(
                    f"  {'HTTP booking (full service)':34s} {rate:7.0f} bookings/s "
                    f"{sum(codes.values()) / elapsed:7.0f} attempts/s  ({booked} booked, "
                    f"{conflicts} conflicts, {elapsed:.2f} s, overlapping pairs {pairs})"
                )
                elapsed, codes, round_samples = http_phase(
                    server, token, choices, args.clients, args.attempts, read_only=True
                )
                me = codes.get(200, 0) / elapsed
                for status, count in codes.items():
                    if status != 200:
                        unexpected[status] += count
                for status, text in round_samples.items():
                    samples.setdefault(status, text)
                print(
                    f"  {'GET /api/v1/me (same server)':34s} {me:7.0f} requests/s  "
                    f"(the cheapest authenticated request: {me / raw:.2f} of raw INSERT)"
                )
                raw_rates.append(raw)
                http_rates.append(rate)
                me_rates.append(me)
                ratios.append(rate / raw)
        ratio = statistics.median(ratios)
        print(f"  {per_booking}")
        print(
            f"  ratio HTTP booking / raw INSERT in bookings/s, median of {args.rounds} rounds: "
            f"{ratio:.2f}  (target >= 0.3: {'met' if ratio >= 0.3 else 'NOT met'}; rounds: "
            + ", ".join(f"{r:.2f}" for r in ratios)
            + ")"
        )
        print(
            f"  ratio HTTP booking / GET /api/v1/me: "
            f"{statistics.median(http_rates) / statistics.median(me_rates):.2f}  "
            "(what the booking itself costs beside the request's fixed part)"
        )
        print(f"  overlapping active pairs: {overlaps}  (must be 0)")
        print(
            f"  answers other than 201/409: {sum(unexpected.values())}  (must be 0)"
            + "".join(f"\n    {status}: {samples.get(status, '')}" for status in unexpected)
        )


if __name__ == "__main__":
    main()
