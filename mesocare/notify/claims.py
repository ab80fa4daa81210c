"""The outbox's claim statements: a whole batch taken, renewed, handed back or marked sent in
one statement.

Each claim is one `UPDATE … WHERE id = ANY(ARRAY(SELECT id … ORDER BY … LIMIT n FOR UPDATE
SKIP LOCKED)) RETURNING …` (`IN (SELECT …)` on SQLite): concurrent workers lock disjoint rows
and skip each other's without waiting (PostgreSQL). The subquery reads a partial index of the
open messages in its order and stops at the batch's last row (`follow_claim_indexes`), so a
claim's cost does not grow with the messages already sent. SQLite has no row locks; its
`BEGIN IMMEDIATE` transactions serialize the claims instead, so the same statement runs there
without the locking clause. A claim returns the columns sending reads (`Claimed`), so the
messages need no second read; their patients are read once per batch (`addressees`), as
plain values, not model instances.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Model

from mesocare.notify.choices import MessageStatus
from mesocare.notify.models import OutboxMessage
from mesocare.patients.models import Patient


@dataclass(slots=True)
class Addressee:
    """What sending reads of a patient: how to reach them, and in which language."""

    organization_id: int
    preferred_channel: str
    email: str
    phone: str
    language: str


@dataclass(slots=True)
class Claimed:
    """A claimed message as sending reads it (the row's values, not a model instance)."""

    id: int
    patient_id: int
    kind: str
    channel: str
    template: str
    payload: dict[str, Any]
    timezone: str
    idempotency_key: str
    attempts: int
    max_attempts: int
    provider_ref: str
    appointment_id: int | None
    in_flight: bool  # taken over from a worker that died mid-send
    patient: Addressee = field(init=False)  # set from `addressees` once the batch is claimed


CLAIMED = (
    "id", "patient_id", "kind", "channel", "template", "payload", "timezone", "idempotency_key",
    "attempts", "max_attempts", "provider_ref", "appointment_id",
)  # fmt: skip
ADDRESSEE = ("id", "organization_id", "preferred_channel", "email", "phone", "language")


def sql_parts(model: type[Model] = OutboxMessage) -> tuple[str, dict[str, str], str]:
    """The model's quoted table, its quoted columns by attribute name, the locking clause."""
    meta = model._meta
    quote = connection.ops.quote_name
    columns = {f.attname: quote(f.column or f.attname) for f in meta.concrete_fields}
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    return quote(meta.db_table), columns, lock


def _at(value: dt.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _ids(sql: str, params: list[Any]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def one_of(column: str, values: Collection[Any]) -> tuple[str, list[Any]]:
    """`column` among `values`: one array parameter on PostgreSQL (`= ANY(%s)`: the statement's
    text and its parsing do not grow with the batch), `IN (%s, …)` elsewhere."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s)", [list(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _claimed(sql: str, params: list[Any], *, in_flight: bool) -> list[Claimed]:
    """Run a claim (`… RETURNING` the `CLAIMED` columns) and read its rows (the payload is
    JSON text on both databases: Django reads PostgreSQL's jsonb as text)."""
    decoder = OutboxMessage._meta.get_field("payload").decoder
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    at = CLAIMED.index("payload")
    claimed = []
    for row in rows:
        values = [*row, in_flight]
        values[at] = json.loads(values[at], cls=decoder)
        claimed.append(Claimed(*values))
    return claimed


def take_due(
    limit: int, now: dt.datetime, worker_id: str, lease_until: dt.datetime
) -> list[Claimed]:
    """Claim up to `limit` due pending messages: `sending`, leased to the worker, one more
    attempt. Oldest due first."""
    table, c, lock = sql_parts()
    chosen = (
        f"SELECT {c['id']} FROM {table} "
        f"WHERE {c['status']} = %s AND {c['next_attempt_at']} <= %s "
        f"ORDER BY {c['next_attempt_at']} LIMIT %s{lock}"
    )
    sql = (
        f"UPDATE {table} SET {c['status']} = %s, {c['claimed_by']} = %s, "
        f"{c['lease_until']} = %s, {c['last_attempt_at']} = %s, "
        f"{c['attempts']} = {c['attempts']} + 1, {c['updated_at']} = %s "
        f"WHERE {among_chosen(c['id'], chosen)} "
        f"RETURNING {', '.join(c[name] for name in CLAIMED)}"
    )
    at_now = _at(now)
    params = [MessageStatus.SENDING, worker_id, _at(lease_until), at_now, at_now]
    return _claimed(sql, [*params, MessageStatus.PENDING, at_now, limit], in_flight=False)


def take_in_flight(
    limit: int, now: dt.datetime, worker_id: str, lease_until: dt.datetime
) -> list[Claimed]:
    """Take over up to `limit` messages whose worker's lease ran out mid-send (the worker
    died): leased to this worker, the attempt unchanged (it is the same attempt)."""
    table, c, lock = sql_parts()
    chosen = (
        f"SELECT {c['id']} FROM {table} "
        f"WHERE {c['status']} = %s AND {c['lease_until']} < %s "
        f"ORDER BY {c['lease_until']} LIMIT %s{lock}"
    )
    sql = (
        f"UPDATE {table} SET {c['claimed_by']} = %s, {c['lease_until']} = %s, "
        f"{c['updated_at']} = %s "
        f"WHERE {among_chosen(c['id'], chosen)} "
        f"RETURNING {', '.join(c[name] for name in CLAIMED)}"
    )
    at_now = _at(now)
    params = [worker_id, _at(lease_until), at_now, MessageStatus.SENDING, at_now, limit]
    return _claimed(sql, params, in_flight=True)


def among_chosen(column: str, chosen: str) -> str:
    """`column` among the ids the subquery `chosen` selects. On PostgreSQL the subquery is
    run once, into an array (`= ANY(ARRAY(…))`), and the rows are then found by their
    primary key: with `IN (subquery)` the planner, which expects a few rows, may join the
    subquery to a scan of the whole table instead, which reads every message, sent ones
    included, at every claim."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(ARRAY({chosen}))"
    return f"{column} IN ({chosen})"


def follow_claim_indexes() -> None:
    """Make the claims of this transaction read the queue in the order of its partial
    indexes (`outbox_due`, `outbox_leased`) and stop at the batch's last row, then find the
    claimed rows by their key, on PostgreSQL. Claims run right after bulk enqueues, before
    statistics see the new rows: expecting a handful of due messages, the planner would
    otherwise fetch every due one (a bitmap scan) and sort them all to keep the batch's
    oldest, or scan the table, at every claim — a cost that grows with the queue. The
    settings are local to the claim's transaction."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('enable_bitmapscan', 'off', true), "
            "set_config('enable_sort', 'off', true), set_config('enable_seqscan', 'off', true)"
        )


def addressees(patient_ids: Collection[int]) -> dict[int, Addressee]:
    """The patients of a batch, by id: one query, as values."""
    table, c, _lock = sql_parts(Patient)
    where, params = one_of(c["id"], patient_ids)
    with connection.cursor() as cursor:
        columns = ", ".join(c[name] for name in ADDRESSEE)
        cursor.execute(f"SELECT {columns} FROM {table} WHERE {where}", params)
        return {pk: Addressee(*values) for pk, *values in cursor.fetchall()}


def renew(
    ids: Collection[int], worker_id: str, lease_until: dt.datetime, now: dt.datetime
) -> set[int]:
    """Extend the lease of the messages this worker still holds; returns those it holds (a
    message missing from the answer was taken over after this worker's lease ran out)."""
    if not ids:
        return set()
    table, c, _lock = sql_parts()
    held, ids_params = one_of(c["id"], ids)
    sql = (
        f"UPDATE {table} SET {c['lease_until']} = %s, {c['updated_at']} = %s "
        f"WHERE {held} AND {c['status']} = %s AND {c['claimed_by']} = %s "
        f"RETURNING {c['id']}"
    )
    params = [_at(lease_until), _at(now), *ids_params, MessageStatus.SENDING, worker_id]
    return set(_ids(sql, params))


def mark_sent(refs: Mapping[int, str], worker_id: str, now: dt.datetime) -> int:
    """Mark the messages this worker sent (id → provider reference) `sent`, in one fenced
    UPDATE joined to their references; returns how many it still held."""
    if not refs:
        return 0
    table, c, _lock = sql_parts()
    if connection.vendor == "postgresql":
        values = "unnest(%s::bigint[], %s::text[]) AS v(id, ref)"
        given: list[Any] = [list(refs), list(refs.values())]
    else:
        rows = ", ".join(["(%s, %s)"] * len(refs))
        values = f"(SELECT column1 AS id, column2 AS ref FROM (VALUES {rows})) AS v"
        given = [value for pair in refs.items() for value in pair]
    sql = (
        f"UPDATE {table} SET {c['status']} = %s, {c['sent_at']} = %s, "
        f"{c['provider_ref']} = v.ref, {c['last_error']} = '', {c['lease_until']} = NULL, "
        f"{c['updated_at']} = %s FROM {values} "
        f"WHERE {table}.{c['id']} = v.id AND {c['status']} = %s AND {c['claimed_by']} = %s"
    )
    at_now = _at(now)
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [MessageStatus.SENT, at_now, at_now, *given, MessageStatus.SENDING, worker_id]
        )
        return cursor.rowcount


def defer(ids: Collection[int], worker_id: str, until: dt.datetime, now: dt.datetime) -> int:
    """Hand claimed messages back until quiet hours end, taking back the attempt the claim
    counted (a deferral is no attempt)."""
    if not ids:
        return 0
    table, c, _lock = sql_parts()
    held, ids_params = one_of(c["id"], ids)
    sql = (
        f"UPDATE {table} SET {c['status']} = %s, {c['claimed_by']} = '', "
        f"{c['lease_until']} = NULL, {c['next_attempt_at']} = %s, "
        f"{c['attempts']} = {c['attempts']} - 1, {c['updated_at']} = %s, "
        f"{c['last_attempt_at']} = CASE WHEN {c['attempts']} <= 1 THEN NULL "
        f"ELSE {c['last_attempt_at']} END "
        f"WHERE {held} AND {c['status']} = %s AND {c['claimed_by']} = %s"
    )
    params = [MessageStatus.PENDING, _at(until), _at(now), *ids_params]
    params += [MessageStatus.SENDING, worker_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
