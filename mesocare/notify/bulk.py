"""Writing many outbox messages at once: `enqueue_many`.

The same rules as `enqueue` (organization, kind, key, due time, time zone, the patient's
channel and SMS opt-out), checked for the whole batch before anything is written: one bad
message refuses the batch with an error naming each bad message, and writes nothing. The rows
then go in with multi-row `INSERT … ON CONFLICT DO NOTHING RETURNING`, so
the database's unique key on the idempotency key (on PostgreSQL with the organization, as every
key of an organization's table) decides which messages are new — a key repeated in the call, one
already in the outbox, or one a concurrent transaction is writing at the same moment is
written once — and the caller learns how many were new.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterable, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import psycopg
from django.db import connection, transaction
from django.db.models import JSONField

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Organization
from mesocare.notify.models import OutboxMessage
from mesocare.notify.outbox import (
    KIND_TEMPLATES,
    RELATED_FIELDS,
    default_timezone,
    invalid_reason,
    opted_out_digits,
    org_id_of,
    resolve_channel,
)

if TYPE_CHECKING:
    from mesocare.patients.models import Patient


@dataclass(frozen=True)
class NewMessage:
    """One message for `enqueue_many`: the arguments of `enqueue`."""

    patient: Patient
    kind: str
    due_at: dt.datetime
    payload: dict[str, Any]
    idempotency_key: str
    related: dict[str, Any] | None = None
    template: str | None = None
    tz: str | None = None


@dataclass
class Enqueued:
    """What `enqueue_many` did: `new_keys` were written now; `existing` keys were in the
    outbox already (or repeated in the call); `no_channel` messages were left out because
    their patient receives no messages."""

    new_keys: list[str] = field(default_factory=list)
    existing: int = 0
    no_channel: int = 0
    keys: list[str] = field(default_factory=list)  # every key that has a row now, in order

    @property
    def new(self) -> int:
        return len(self.new_keys)

    def messages(self) -> list[OutboxMessage]:
        """The rows of every key (new or earlier), in the order given: one query."""
        rows = OutboxMessage.objects.filter(idempotency_key__in=self.keys).in_bulk(
            field_name="idempotency_key"
        )
        return [rows[key] for key in self.keys if key in rows]


class BatchRefused(ValueError):
    """A batch with at least one message that cannot be written; nothing was written.
    `errors` lists (position in the batch, idempotency key, reason)."""

    def __init__(self, errors: list[tuple[int, str, str]]) -> None:
        self.errors = errors
        shown = "; ".join(f"message {i} ({key!r}): {why}" for i, key, why in errors[:5])
        more = f" and {len(errors) - 5} more" if len(errors) > 5 else ""
        super().__init__(f"{len(errors)} message(s) refused, nothing enqueued: {shown}{more}")


def enqueue_many(
    actor_or_org: Actor | Organization | int, messages: Iterable[NewMessage]
) -> Enqueued:
    """Write many messages to the outbox inside the caller's transaction (the outbox pattern,
    as `enqueue`). Idempotent on each key; see the module's docstring."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("notify.enqueue_many() must run inside the transaction of its event")
    org_id = org_id_of(actor_or_org)
    batch = list(messages)
    errors = []
    for i, m in enumerate(batch):
        problem = invalid_reason(org_id, m.patient, m.kind, m.idempotency_key, m.due_at, m.tz)
        if problem is not None:
            errors.append((i, m.idempotency_key, problem))
    if errors:
        raise BatchRefused(errors)
    result = Enqueued()
    opted_out = opted_out_digits({m.patient.pk: m.patient for m in batch}.values())
    fallback_tz: str | None = None
    rows: dict[str, dict[str, Any]] = {}
    for m in batch:
        if m.idempotency_key in rows:
            result.existing += 1  # repeated in this call: the first one stands
            continue
        channel = resolve_channel(m.patient, opted_out)
        if channel is None:
            result.no_channel += 1
            continue
        if not m.tz and fallback_tz is None:
            fallback_tz = default_timezone(org_id)
        row = {
            "organization_id": org_id,
            "patient_id": m.patient.pk,
            "kind": m.kind,
            "channel": channel,
            "template": m.template or KIND_TEMPLATES[m.kind],
            "payload": m.payload,
            "due_at": m.due_at,
            "next_attempt_at": m.due_at,
            "idempotency_key": m.idempotency_key,
            "timezone": m.tz or fallback_tz or "UTC",
        }
        for name, value in (m.related or {}).items():
            if value is not None:
                row[RELATED_FIELDS[name]] = getattr(value, "pk", value)
        rows[m.idempotency_key] = row
    result.keys = list(rows)
    inserted = set(insert_new(list(rows.values())))
    result.new_keys = [key for key in rows if key in inserted]
    result.existing += len(rows) - len(inserted)
    return result


def insert_new(rows: Sequence[dict[str, Any]]) -> list[str]:
    """INSERT the rows (field attname → value; the other fields take their defaults),
    skipping any whose idempotency key exists; returns the keys written. Values are prepared
    as Django's own save would (field defaults, auto_now, JSON encoder). All or none of the
    rows are written: one statement is atomic by itself, and only a batch that takes several
    statements gets a savepoint (on PostgreSQL a savepoint is two more round trips and a
    subtransaction for every booking's messages)."""
    if not rows:
        return []
    if connection.vendor == "postgresql":
        return _insert_unnest(rows)
    return _insert_values([OutboxMessage(**row) for row in rows])


def _insert_unnest(rows: Sequence[dict[str, Any]]) -> list[str]:
    """PostgreSQL: one statement for the whole batch, one array parameter per column the rows
    give (`INSERT … SELECT … FROM unnest(…)`), so its text does not grow with the batch; the
    other columns take one value for all (defaults, the insert time)."""
    meta = OutboxMessage._meta
    quote = connection.ops.quote_name
    given = set().union(*rows)
    defaults = OutboxMessage()  # the value of every column the rows do not give
    columns: list[str] = []
    selects: list[str] = []
    arrays: list[str] = []
    constants: list[Any] = []  # the SELECT list's parameters come first in the statement,
    varying: list[Any] = []  # the arrays of unnest(…) after them
    for f in meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(quote(f.column or f.attname))
        if f.attname not in given:
            selects.append("%s")
            constants.append(f.get_db_prep_save(f.pre_save(defaults, add=True), connection))
            continue
        values = [row.get(f.attname) for row in rows]
        db_type = f.rel_db_type(connection) if f.is_relation else f.db_type(connection)
        if isinstance(f, JSONField):
            values = [json.dumps(v, cls=f.encoder) for v in values]
            selects.append(f"u.c{len(arrays)}::{db_type}")
            db_type = "text"
        else:
            selects.append(f"u.c{len(arrays)}")
        arrays.append(f"%s::{db_type}[]")
        varying.append(values)
    names = ", ".join(f"c{i}" for i in range(len(arrays)))
    key = quote(meta.get_field("idempotency_key").attname)
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(columns)}) "
        f"SELECT {', '.join(selects)} FROM unnest({', '.join(arrays)}) AS u({names}) "
        # No conflict target: on PostgreSQL the key's unique constraint is (idempotency_key,
        # organization_id), as every key of an organization's table.
        f"ON CONFLICT DO NOTHING RETURNING {key}"
    )
    # Bound on the server (not quoted into the text as Django's cursor does): the arrays go
    # as parameters, without escaping each element on the client.
    connection.ensure_connection()
    started = time.monotonic()
    with psycopg.Cursor(connection.connection) as cursor:
        cursor.execute(sql, [*constants, *varying])
        keys = [k for (k,) in cursor.fetchall()]
    if connection.queries_logged:  # counted like any other query (debug, query-count tests)
        elapsed = f"{time.monotonic() - started:.3f}"
        connection.queries_log.append({"sql": f"{sql} -- {len(rows)} rows", "time": elapsed})
    return keys


def _insert_values(rows: Sequence[OutboxMessage]) -> list[str]:
    """Other databases (SQLite): multi-row VALUES, as many rows per statement as it takes."""
    meta = OutboxMessage._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    key_column = OutboxMessage._meta.get_field("idempotency_key").attname
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column or f.attname) for f in fields)
    per_statement = max(1, min(1000, connection.ops.bulk_batch_size(fields, rows)))
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    written: list[str] = []
    several = transaction.atomic() if len(rows) > per_statement else nullcontext()
    with several, connection.cursor() as cursor:
        for start in range(0, len(rows), per_statement):
            chunk = rows[start : start + per_statement]
            params: list[Any] = []
            for obj in chunk:
                params.extend(
                    f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields
                )
            cursor.execute(
                f"INSERT INTO {quote(meta.db_table)} ({columns}) "
                f"VALUES {', '.join([row_sql] * len(chunk))} "
                # No conflict target: the key's unique constraint is (idempotency_key,
                # organization_id) on PostgreSQL and (idempotency_key) on SQLite; the id is
                # drawn from the sequence and never conflicts.
                "ON CONFLICT DO NOTHING "
                f"RETURNING {quote(key_column)}",
                params,
            )
            written.extend(key for (key,) in cursor.fetchall())
    return written
