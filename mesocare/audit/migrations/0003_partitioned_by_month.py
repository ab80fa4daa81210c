"""PostgreSQL: the audit log becomes a table partitioned by month on `at` (declarative range
partitioning), every row kept. SQLite keeps its plain table.

Forward: the plain table is renamed aside; a partitioned table of the same columns (identity
included) takes its name, with one partition per UTC month the data holds, the current month
and the next three, and a DEFAULT partition; the primary key becomes (id, organization_id, at)
(a partitioned table's unique keys must hold the partition key, and tenant tables' unique keys
hold organization_id); the rows are copied, the secondary indexes and foreign keys recreated
under their names (as partitioned indexes), the id sequence continues where it was, the old
table is dropped. A trigger refuses UPDATE and DELETE of audit rows (maintenance sets
`mesocare.audit_maintenance` for the rows it moves). Backward: the same in reverse, into a
plain table with PRIMARY KEY (id) and no trigger.

Self-contained on purpose: it does not import the app's partition code, which may change."""

import datetime as dt
import re

from django.db import migrations

TABLE = "audit_auditevent"
OLD = "audit_auditevent_swap"
AHEAD = 3

APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('mesocare.audit_maintenance', true), '') = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit events are append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$
"""


def _month_start(year, month):
    return dt.datetime(year, month, 1, tzinfo=dt.UTC)


def _next(year, month):
    return (year + 1, 1) if month == 12 else (year, month + 1)


def _swap(cursor, partitioned):
    # What the current table carries besides its columns: secondary indexes, foreign keys,
    # the identity sequence's position.
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
        "AND tablename = %s AND indexname <> %s", [TABLE, f"{TABLE}_pkey"]
    )
    indexes = cursor.fetchall()
    cursor.execute(
        "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
        "WHERE conrelid = %s::regclass AND contype = 'f'", [TABLE]
    )
    foreign_keys = cursor.fetchall()
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
    (sequence,) = cursor.fetchone()
    cursor.execute(f"SELECT last_value, is_called FROM {sequence}")
    last_value, is_called = cursor.fetchone()

    cursor.execute(f"DROP TRIGGER IF EXISTS audit_append_only ON {TABLE}")
    cursor.execute(f"ALTER TABLE {TABLE} RENAME TO {OLD}")
    for name, _definition in indexes:
        cursor.execute(f"DROP INDEX {name}")
    cursor.execute(f"ALTER TABLE {OLD} RENAME CONSTRAINT {TABLE}_pkey TO {OLD}_pkey")

    layout = " PARTITION BY RANGE (at)" if partitioned else ""
    cursor.execute(
        f"CREATE TABLE {TABLE} (LIKE {OLD} INCLUDING DEFAULTS INCLUDING IDENTITY "
        f"INCLUDING STORAGE INCLUDING COMMENTS){layout}"
    )
    if partitioned:
        cursor.execute(
            f"SELECT DISTINCT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM') FROM {OLD}"
        )
        months = {tuple(int(p) for p in text.split("-")) for (text,) in cursor.fetchall()}
        today = dt.datetime.now(dt.UTC)
        ym = (today.year, today.month)
        for _ in range(AHEAD + 1):
            months.add(ym)
            ym = _next(*ym)
        for year, month in sorted(months):
            cursor.execute(
                f"CREATE TABLE {TABLE}_p{year:04d}_{month:02d} PARTITION OF {TABLE} "
                "FOR VALUES FROM (%s) TO (%s)",
                [_month_start(year, month).isoformat(),
                 _month_start(*_next(year, month)).isoformat()],
            )
        cursor.execute(f"CREATE TABLE {TABLE}_default PARTITION OF {TABLE} DEFAULT")
        cursor.execute(
            f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey "
            "PRIMARY KEY (id, organization_id, at)"
        )
    else:
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {TABLE}_pkey PRIMARY KEY (id)")

    cursor.execute(f"INSERT INTO {TABLE} SELECT * FROM {OLD}")
    for name, definition in indexes:
        cursor.execute(re.sub(r" ON (ONLY )?\S+ USING ", f" ON {TABLE} USING ", definition))
    for name, definition in foreign_keys:
        cursor.execute(f"ALTER TABLE {TABLE} ADD CONSTRAINT {name} {definition}")
    cursor.execute(
        "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s, %s)",
        [TABLE, last_value, is_called],
    )
    cursor.execute(f"DROP TABLE {OLD}")
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [TABLE])
    (new_sequence,) = cursor.fetchone()
    if new_sequence != sequence:
        cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {sequence.split('.')[-1]}")
    if partitioned:
        cursor.execute(APPEND_ONLY_FUNCTION)
        cursor.execute(
            f"CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON {TABLE} "
            "FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
        )
    cursor.execute(f"ANALYZE {TABLE}")


def partition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _swap(cursor, partitioned=True)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        with schema_editor.connection.cursor() as cursor:
            _swap(cursor, partitioned=False)
            cursor.execute("DROP FUNCTION IF EXISTS audit_append_only()")


class Migration(migrations.Migration):

    dependencies = [
        ("audit", "0002_list_reads_and_refusals"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
