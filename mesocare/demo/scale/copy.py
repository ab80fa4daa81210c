"""Streaming rows into PostgreSQL with COPY, with the column list read from the models.

A writer is given the fields the generator fills; every other concrete column gets one
constant computed once from the model: its default, `now` for auto timestamps, NULL where
allowed, an empty string for blank text. A column that has none of these (a new NOT NULL
column without a default) stops the seeder with its name, instead of being left out.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from django.db import models


class SeedSchemaError(RuntimeError):
    """The schema has a column the seeder cannot fill: add it to the seeder's rows."""


def _constant(f: models.Field[Any, Any], now: dt.datetime) -> Any:
    if f.has_default():
        value = f.get_default()
        if isinstance(f, models.JSONField):
            return json.dumps(value)
        return value
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return now.date() if type(f) is models.DateField else now
    if f.null:
        return None
    if f.blank and isinstance(f, (models.CharField, models.TextField)):
        return ""
    raise SeedSchemaError(
        f"{f.model._meta.db_table}.{f.column} is NOT NULL without a default; "
        "the scale seeder must give it a value"
    )


@dataclass
class TableCopy:
    """One COPY … FROM STDIN into a model's table on its own connection."""

    model: type[models.Model]
    fields: Sequence[str]
    now: dt.datetime
    columns: list[str] = field(init=False)
    consts: tuple[Any, ...] = field(init=False)
    rows: int = 0

    def __post_init__(self) -> None:
        concrete = list(self.model._meta.concrete_fields)
        by_name = {f.name: f for f in concrete} | {f.attname: f for f in concrete}
        missing = [name for name in self.fields if name not in by_name]
        if missing:
            raise SeedSchemaError(f"{self.model._meta.db_table} has no field {missing}")
        given = [by_name[name] for name in self.fields]
        rest = [f for f in concrete if f not in given]
        self.columns = [str(f.column) for f in given] + [str(f.column) for f in rest]
        self.consts = tuple(_constant(f, self.now) for f in rest)

    @property
    def table(self) -> str:
        return self.model._meta.db_table

    def statement(self) -> str:
        cols = ", ".join(f'"{c}"' for c in self.columns)
        return f'COPY "{self.table}" ({cols}) FROM STDIN'


class CopySet:
    """Every table's COPY open at once, each on its own connection, so one pass over the
    patients streams all their rows; the server parses each table in its own process."""

    def __init__(self, dsn: str, writers: dict[str, TableCopy], *, fast: bool = True) -> None:
        self.dsn = dsn
        self.writers = writers
        self.fast = fast
        self._conns: list[Any] = []
        self._copies: dict[str, Any] = {}
        self._cms: list[Any] = []

    def __enter__(self) -> CopySet:
        import psycopg

        for name, writer in self.writers.items():
            conn = psycopg.connect(self.dsn)
            self._conns.append(conn)
            cur = conn.cursor()
            cur.execute("SET synchronous_commit = off")
            if self.fast:
                # Rows are generated consistent with each other; skipping the per-row foreign
                # key triggers is what makes COPY fast. Needs a superuser; else they run.
                try:
                    cur.execute("SET session_replication_role = replica")
                except Exception:  # noqa: BLE001 - not a superuser: keep the checks
                    conn.rollback()
            cm = cur.copy(writer.statement())
            self._cms.append(cm)
            self._copies[name] = cm.__enter__()
        return self

    def write(self, name: str, row: tuple[Any, ...]) -> None:
        writer = self.writers[name]
        self._copies[name].write_row(row + writer.consts)
        writer.rows += 1

    def writer(self, name: str) -> Any:
        """A fast bound writer for a hot loop: `w(row)`."""
        tc = self.writers[name]
        copy_write = self._copies[name].write_row
        consts = tc.consts

        def w(row: tuple[Any, ...]) -> None:
            copy_write(row + consts)

        return w

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        failed = exc_type is not None
        for cm in self._cms:
            try:
                cm.__exit__(exc_type, exc, tb)
            except Exception:
                failed = True
                if exc_type is None:
                    self._close(commit=False)
                    raise
        self._close(commit=not failed)

    def _close(self, *, commit: bool) -> None:
        for conn in self._conns:
            try:
                if commit:
                    conn.commit()
                else:
                    conn.rollback()
            finally:
                conn.close()
        self._conns = []


@dataclass
class _Deferred:
    table: str
    drop: str
    create: str


def _deferrable(cursor: Any, tables: Sequence[str]) -> list[_Deferred]:
    """Secondary indexes and unique constraints of these tables (not the primary keys, the
    exclusion constraints or what a foreign key depends on), with the statements to drop and
    rebuild them."""
    cursor.execute(
        """
        SELECT t.relname, ic.relname, pg_get_indexdef(i.indexrelid), c.conname,
               CASE WHEN c.oid IS NULL THEN NULL ELSE pg_get_constraintdef(c.oid) END
        FROM pg_index i
        JOIN pg_class t ON t.oid = i.indrelid
        JOIN pg_class ic ON ic.oid = i.indexrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace AND n.nspname = current_schema()
        LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid AND c.conrelid = i.indrelid
        WHERE t.relname = ANY(%s) AND NOT i.indisprimary
          AND NOT EXISTS (
              SELECT 1 FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = i.indexrelid
          )
        ORDER BY t.relname, ic.relname
        """,
        [list(tables)],
    )
    out = []
    for table, index, indexdef, conname, condef in cursor.fetchall():
        if condef and condef.startswith("EXCLUDE"):
            # Kept during the load: a GiST build runs in one process under the table's lock,
            # while inserts spread over every loading connection (and check each row).
            continue
        if conname:
            out.append(
                _Deferred(
                    table,
                    f'ALTER TABLE "{table}" DROP CONSTRAINT "{conname}"',
                    f'ALTER TABLE "{table}" ADD CONSTRAINT "{conname}" {condef}',
                )
            )
        else:
            # A partitioned table's index reads "ON ONLY": rebuild it on every partition.
            create = indexdef.replace(" ON ONLY ", " ON ", 1)
            out.append(_Deferred(table, f'DROP INDEX "{index}"', create))
    return out


def run_parallel(dsn: str, statements: list[str], parallel: int) -> list[str]:
    """Run the statements in order on `parallel` connections (index rebuilds, largest tables
    first; VACUUM); returns failures. Index builds on one table share its lock; a constraint
    waits for the table's turn."""
    import queue
    import threading

    import psycopg

    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for statement in statements:
        todo.put(statement)
    failed: list[str] = []

    def work() -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("SET maintenance_work_mem = '1GB'")
            while True:
                try:
                    statement = todo.get_nowait()
                except queue.Empty:
                    return
                try:
                    conn.execute(statement)  # type: ignore[arg-type]
                except psycopg.Error as exc:
                    failed.append(f"{statement}: {exc}")

    threads = [threading.Thread(target=work) for _ in range(max(1, parallel))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return failed


@contextmanager
def deferred_indexes(
    dsn: str, tables: Sequence[str], *, on: bool = True, parallel: int = 2
) -> Iterator[list[str]]:
    """Drop the secondary indexes and unique constraints of `tables`, yield, then rebuild them
    (in one pass each, much faster than row by row; `parallel` at a time). Rebuilding a
    constraint validates it: a duplicate key fails here, by name; the exclusion constraints
    stay and refuse an overlapping appointment as it is loaded. The definitions are read from
    the catalog, so indexes added by later migrations are kept."""
    import psycopg

    if not on:
        yield []
        return
    with psycopg.connect(dsn, autocommit=True) as conn:
        deferred = _deferrable(conn.cursor(), tables)
        for d in deferred:
            conn.execute(d.drop)  # type: ignore[arg-type]
    rebuilt: list[str] = []
    try:
        yield rebuilt
    finally:
        order = {t: i for i, t in enumerate(tables)}
        statements = [d.create for d in sorted(deferred, key=lambda d: order.get(d.table, 0))]
        failed = run_parallel(dsn, statements, parallel)
        rebuilt.extend(s for s in statements if not any(f.startswith(s) for f in failed))
        if failed:
            raise SeedSchemaError("Rebuilding failed (the data breaks it):\n" + "\n".join(failed))


def reserve_ids(dsn: str, tables: Sequence[str]) -> dict[str, int]:
    """The next free id of each table (the seeder numbers its rows itself)."""
    import psycopg

    with psycopg.connect(dsn) as conn:
        return {
            t: int(conn.execute(f'SELECT coalesce(max(id), 0) + 1 FROM "{t}"').fetchone()[0])  # type: ignore[index]
            for t in tables
        }


def fix_sequences(dsn: str, tables: Sequence[str]) -> None:
    """Move each table's id sequence past the rows COPY wrote with explicit ids."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as conn:
        for t in tables:
            conn.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{t}\"', 'id'), "
                f'greatest((SELECT max(id) FROM "{t}"), 1))'
            )
