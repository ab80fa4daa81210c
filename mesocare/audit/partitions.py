"""The audit log's monthly partitions on PostgreSQL (declarative range partitioning on `at`,
one partition per UTC month, named `audit_auditevent_pYYYY_MM`, and a DEFAULT partition for
anything outside them). SQLite keeps one plain table: every function here is then a no-op.

The worker keeps the coming months' partitions created (`ensure_ahead`, a periodic job); a
partition created for a month whose rows already sit in DEFAULT takes those rows with it."""

from __future__ import annotations

import datetime as dt
import re

from django.db import connection, transaction
from django.utils import timezone

from mesocare.core.months import Month

TABLE = "audit_auditevent"
DEFAULT_PARTITION = f"{TABLE}_default"
AHEAD_MONTHS = 3  # months after the current one whose partitions exist in advance
# A session setting that lets maintenance (moving rows out of DEFAULT, archiving one
# organization's months) delete rows despite the append-only trigger.
MAINTENANCE_SETTING = "mesocare.audit_maintenance"
_LOCK_KEY = 0x4D45534F41554454  # pg_advisory_xact_lock key: one partition change at a time
_NAME = re.compile(rf"{TABLE}_p(\d{{4}})_(\d{{2}})")


def partition_name(month: Month) -> str:
    return f"{TABLE}_p{month.year:04d}_{month.month:02d}"


def is_partitioned() -> bool:
    """True on PostgreSQL once the migration has made the table partitioned."""
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT relkind FROM pg_class WHERE oid = to_regclass(%s)", [TABLE])
        row = cursor.fetchone()
    return row is not None and row[0] == "p"


def existing_months() -> set[Month]:
    """The months that have their own partition."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = to_regclass(%s)",
            [TABLE],
        )
        names = [name for (name,) in cursor.fetchall()]
    months = set()
    for name in names:
        match = _NAME.fullmatch(name)
        if match:
            months.add(Month(int(match[1]), int(match[2])))
    return months


def create_partition(month: Month) -> int:
    """Create `month`'s partition if it is missing; rows of that month already in DEFAULT move
    into it (PostgreSQL refuses a new partition while DEFAULT holds rows of its range). Returns
    the rows moved. Safe to run in several processes at once."""
    name = partition_name(month)
    start, end = month.start_utc(), month.plus(1).start_utc()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_LOCK_KEY])
        if month in existing_months():
            return 0
        # No writes into DEFAULT while its rows of this month are moved.
        cursor.execute(f"LOCK TABLE {DEFAULT_PARTITION} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute("SELECT set_config(%s, 'on', true)", [MAINTENANCE_SETTING])
        cursor.execute(
            "CREATE TEMPORARY TABLE audit_moving AS "
            f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE at >= %s AND at < %s "
            "RETURNING *) SELECT * FROM moved",
            [start, end],
        )
        moved = cursor.rowcount
        cursor.execute(
            f"CREATE TABLE {name} PARTITION OF {TABLE} FOR VALUES FROM (%s) TO (%s)",
            [start.isoformat(), end.isoformat()],
        )
        cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM audit_moving")
        cursor.execute("DROP TABLE audit_moving")
        cursor.execute("SELECT set_config(%s, 'off', true)", [MAINTENANCE_SETTING])
    return max(moved, 0)


def ensure_months(months: list[Month]) -> int:
    """Create the partitions of `months` that are missing; returns how many were created."""
    if not is_partitioned():
        return 0
    missing = sorted(set(months) - existing_months())
    for month in missing:
        create_partition(month)
    return len(missing)


def ensure_ahead(now: dt.datetime | None = None, ahead: int = AHEAD_MONTHS) -> int:
    """The current month's partition and the next `ahead` months' exist (the periodic job)."""
    current = Month.of((now or timezone.now()).astimezone(dt.UTC))
    return ensure_months(current.until(current.plus(ahead + 1)))


def drop_partitions(months: list[Month]) -> None:
    """Detach and drop the partitions of `months` (in the caller's transaction)."""
    # Deferred foreign-key checks of rows written in this transaction run now: PostgreSQL
    # does not drop a table with pending trigger events.
    connection.check_constraints()
    with connection.cursor() as cursor:
        for month in months:
            name = partition_name(month)
            cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {name}")
            cursor.execute(f"DROP TABLE {name}")


def allow_row_removal() -> None:
    """Let this transaction delete audit rows (archiving one organization's months)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [MAINTENANCE_SETTING])
