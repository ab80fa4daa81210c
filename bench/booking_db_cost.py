"""Where a booking's time goes in PostgreSQL, statement by statement, and in Python.

Run from the repository root: ``python bench/booking_db_cost.py [--bookings 300]``
(``BENCH_PG`` names the server's admin URL). It creates a throw-away PostgreSQL database with
the world of ``booking_throughput.py`` and sends ``POST /api/v1/appointments`` in process
(Django's test client, a bearer token, one persistent connection) for free slots, one after
the other, so that every answer is a 201. PostgreSQL's CPU is read from the server process of
the connection (``/proc/<pid>/schedstat``: nanoseconds on a CPU, so it needs the server on
this machine), before and after each statement the driver sends (COMMIT and SAVEPOINTs
included) and around each whole request. Two passes, alternated per booking:

1. measured: the server's CPU per statement (grouped by the statement's text with its
   literals taken out) and per booking;
2. plain: the client's CPU per booking (``time.process_time``), without the per-statement
   probes.

It prints the server's CPU per booking (median, mean), the share of each statement, and
the client's CPU per booking. CPU figures, not wall-clock: they hold under a machine's load
far better than latencies, and nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from _harness import throwaway_database
from booking_throughput import setup

DB_PREFIX = os.environ.get("BENCH_DB_PREFIX", "mc_bench")
_LITERALS = re.compile(r"'(?:[^']|'')*'|\b\d+(?:\.\d+)?\b|\"s\d+_x\d+\"")


def backend_ns(pid: int) -> int:
    """Nanoseconds the server process ``pid`` has run on a CPU."""
    with open(f"/proc/{pid}/schedstat") as f:
        return int(f.read().split()[0])


def shape(sql: str) -> str:
    """A statement's text without its literals (so each booking's statements group)."""
    text = " ".join(_LITERALS.sub("?", sql).split())
    return text if len(text) <= 110 else text[:107] + "..."


@contextmanager
def per_statement(pid_of: Callable[[], int], costs: dict[str, list[int]]) -> Iterator[None]:
    """Charge the server's CPU of each statement (and commit) to its shape in ``costs``."""
    import psycopg

    originals = {
        "execute": psycopg.Cursor.execute,
        "client_execute": psycopg.ClientCursor.execute,
        "commit": psycopg.Connection.commit,
    }

    def timed(label: str, call: Callable[[], Any]) -> Any:
        pid = pid_of()
        before = backend_ns(pid)
        try:
            return call()
        finally:
            costs[label].append(backend_ns(pid) - before)

    def execute(self: Any, query: Any, params: Any = None, **kw: Any) -> Any:
        original = originals[
            "client_execute" if isinstance(self, psycopg.ClientCursor) else "execute"
        ]
        text = query if isinstance(query, str) else str(query)
        return timed(shape(text), lambda: original(self, query, params, **kw))

    def commit(self: Any) -> Any:
        return timed("COMMIT", lambda: originals["commit"](self))

    psycopg.Cursor.execute = execute  # type: ignore[method-assign]
    psycopg.ClientCursor.execute = execute  # type: ignore[method-assign]
    psycopg.Connection.commit = commit  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Cursor.execute = originals["execute"]  # type: ignore[method-assign]
        psycopg.ClientCursor.execute = originals["client_execute"]  # type: ignore[method-assign]
        psycopg.Connection.commit = originals["commit"]  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bookings", type=int, default=300, help="per pass")
    parser.add_argument("--warmup", type=int, default=30)
    args = parser.parse_args()
    with throwaway_database(f"{DB_PREFIX}_booking_db_cost_{os.getpid()}", use_pg=True):
        from django.core import signals
        from django.db import close_old_connections, connection
        from django.test import Client

        from mesocare.accounts.models import ApiToken

        world = setup()
        _token, token = ApiToken.issue(world["actor"].membership, name="bench")
        # One persistent connection, as a production worker keeps it (CONN_MAX_AGE).
        signals.request_started.disconnect(close_old_connections)
        signals.request_finished.disconnect(close_old_connections)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
        free = [
            (patient.pk, practitioner.pk, room.pk, slot.isoformat())
            for slot in world["slots"]
            for patient, practitioner, room in zip(
                world["patients"], world["practitioners"], world["rooms"], strict=False
            )
        ]
        # Each booking takes a slot's practitioner, room and patient of its own.
        free.sort(key=lambda row: (row[3], row[0]))
        queue = iter(free)

        def book() -> None:
            patient, practitioner, room, start = next(queue)
            r = client.post(
                "/api/v1/appointments",
                {
                    "patient": patient,
                    "practitioner": practitioner,
                    "room": room,
                    "start": start,
                    "duration_min": 30,
                },
                content_type="application/json",
            )
            assert r.status_code == 201, r.content

        for _ in range(args.warmup):
            book()
        pid = connection.connection.info.backend_pid

        def pid_of() -> int:
            return int(connection.connection.info.backend_pid)

        costs: dict[str, list[int]] = defaultdict(list)
        server_ns: list[int] = []
        client_ns: list[int] = []
        for _ in range(args.bookings):
            with per_statement(pid_of, costs):
                before = backend_ns(pid)
                book()
                server_ns.append(backend_ns(pid) - before)
            started = time.process_time_ns()
            book()
            client_ns.append(time.process_time_ns() - started)
        assert pid_of() == pid, "the connection was reopened"
        n = args.bookings
        print(f"{n} bookings per pass, one connection, load {os.getloadavg()[0]:.2f}")
        print(
            f"PostgreSQL CPU per booking: median {statistics.median(server_ns) / 1e6:.3f} ms, "
            f"mean {statistics.mean(server_ns) / 1e6:.3f} ms"
        )
        print(
            f"Python CPU per booking:     median {statistics.median(client_ns) / 1e6:.3f} ms, "
            f"mean {statistics.mean(client_ns) / 1e6:.3f} ms"
        )
        total = sum(sum(v) for v in costs.values())
        print(f"per statement (ms of PostgreSQL CPU per booking; sum {total / n / 1e6:.3f}):")
        for label, values in sorted(costs.items(), key=lambda kv: -sum(kv[1])):
            print(
                f"  {sum(values) / n / 1e6:7.3f}  x{len(values) / n:4.1f}  "
                f"median {statistics.median(values) / 1e3:7.1f} us  {label}"
            )


if __name__ == "__main__":
    main()
