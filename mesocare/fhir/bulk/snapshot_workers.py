"""Writing an export's types several at a time on PostgreSQL, all from one snapshot.

The export's transaction publishes its snapshot (``pg_export_snapshot``); each helper thread
opens its own connection, starts a REPEATABLE READ transaction on that very snapshot
(``SET TRANSACTION SNAPSHOT``) and takes the next type from the same queue as the export's own
thread, so every file reads the database as of the manifest's ``transactionTime`` while the
database builds two types' resources on two cores. ``FHIR_EXPORT_CONNECTIONS`` (default 2)
is the number of connections an export reads with; 1, SQLite, and an export that runs inside
an outer transaction (a test) write the types one after another.
"""

from __future__ import annotations

import re
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from mesocare.fhir.bulk.timestamps import iso_timestamps

SNAPSHOT_ID = re.compile(r"[0-9A-F]+-[0-9A-F]+-[0-9]+")


def connections_per_export() -> int:
    return max(1, int(getattr(settings, "FHIR_EXPORT_CONNECTIONS", 2)))


def write_all(names: list[str], write: Callable[[str], Any], parallel: bool) -> dict[str, Any]:
    """``write(name)`` for every name (in the export's transaction, or in a helper's on the
    same snapshot when ``parallel``); the results by name. An exception that ``write`` raises
    stops the others from taking more types and is raised here."""
    pending = deque(names)
    results: dict[str, Any] = {}
    failures: list[BaseException] = []

    def drain() -> None:
        while not failures:
            try:
                name = pending.popleft()
            except IndexError:
                return
            try:
                results[name] = write(name)
            except BaseException as exc:
                failures.append(exc)
                raise

    helpers = min(connections_per_export(), len(names)) - 1 if parallel else 0
    if helpers <= 0:
        drain()
        return results
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
    threads = [
        threading.Thread(target=_in_snapshot, args=(snapshot, drain, failures), daemon=True)
        for _ in range(helpers)
    ]
    for thread in threads:
        thread.start()
    try:
        drain()
    finally:
        for thread in threads:
            thread.join()
    if failures:
        raise failures[0]
    return results


def _in_snapshot(snapshot: str, drain: Callable[[], None], failures: list[BaseException]) -> None:
    """A helper thread: its own connection, in a transaction on the export's snapshot."""
    try:
        if not SNAPSHOT_ID.fullmatch(snapshot):
            raise ValueError(f"unexpected snapshot id {snapshot!r}")
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                cursor.execute(f"SET TRANSACTION SNAPSHOT '{snapshot}'")
            with iso_timestamps():
                drain()
    except BaseException as exc:
        if not failures:
            failures.append(exc)
    finally:
        connection.close()
