"""The outbox's claim statements: a whole batch taken, renewed or handed back in one statement.

Each claim is one `UPDATE … WHERE id IN (SELECT id … ORDER BY … LIMIT n FOR UPDATE SKIP
LOCKED) RETURNING id`: concurrent workers lock disjoint rows and skip each other's without
waiting (PostgreSQL). SQLite has no row locks; its `BEGIN IMMEDIATE` transactions serialize
the claims instead, so the same statement runs there without the locking clause.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from typing import Any

from django.db import connection

from mesocare.notify.choices import MessageStatus
from mesocare.notify.models import OutboxMessage


def _sql_parts() -> tuple[str, dict[str, str], str]:
    meta = OutboxMessage._meta
    quote = connection.ops.quote_name
    columns = {f.name: quote(f.column or f.attname) for f in meta.concrete_fields}
    skip_locked = connection.features.has_select_for_update_skip_locked
    lock = " FOR UPDATE SKIP LOCKED" if skip_locked else ""
    return quote(meta.db_table), columns, lock


def _at(value: dt.datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value)


def _ids(sql: str, params: list[Any]) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _in(ids: Collection[int]) -> str:
    return "(" + ", ".join(["%s"] * len(ids)) + ")"


def take_due(limit: int, now: dt.datetime, worker_id: str, lease_until: dt.datetime) -> list[int]:
    """Claim up to `limit` due pending messages: `sending`, leased to the worker, one more
    attempt. Oldest due first."""
    table, c, lock = _sql_parts()
    sql = (
        f"UPDATE {table} SET {c['status']} = %s, {c['claimed_by']} = %s, "
        f"{c['lease_until']} = %s, {c['last_attempt_at']} = %s, "
        f"{c['attempts']} = {c['attempts']} + 1, {c['updated_at']} = %s "
        f"WHERE {c['id']} IN (SELECT {c['id']} FROM {table} "
        f"WHERE {c['status']} = %s AND {c['next_attempt_at']} <= %s "
        f"ORDER BY {c['next_attempt_at']} LIMIT %s{lock}) RETURNING {c['id']}"
    )
    at_now = _at(now)
    params = [MessageStatus.SENDING, worker_id, _at(lease_until), at_now, at_now]
    return _ids(sql, [*params, MessageStatus.PENDING, at_now, limit])


def take_in_flight(
    limit: int, now: dt.datetime, worker_id: str, lease_until: dt.datetime
) -> list[int]:
    """Take over up to `limit` messages whose worker's lease ran out mid-send (the worker
    died): leased to this worker, the attempt unchanged (it is the same attempt)."""
    table, c, lock = _sql_parts()
    sql = (
        f"UPDATE {table} SET {c['claimed_by']} = %s, {c['lease_until']} = %s, "
        f"{c['updated_at']} = %s "
        f"WHERE {c['id']} IN (SELECT {c['id']} FROM {table} "
        f"WHERE {c['status']} = %s AND {c['lease_until']} < %s "
        f"ORDER BY {c['lease_until']} LIMIT %s{lock}) RETURNING {c['id']}"
    )
    at_now = _at(now)
    params = [worker_id, _at(lease_until), at_now, MessageStatus.SENDING, at_now, limit]
    return _ids(sql, params)


def renew(
    ids: Collection[int], worker_id: str, lease_until: dt.datetime, now: dt.datetime
) -> set[int]:
    """Extend the lease of the messages this worker still holds; returns those it holds (a
    message missing from the answer was taken over after this worker's lease ran out)."""
    if not ids:
        return set()
    table, c, _lock = _sql_parts()
    sql = (
        f"UPDATE {table} SET {c['lease_until']} = %s, {c['updated_at']} = %s "
        f"WHERE {c['id']} IN {_in(ids)} AND {c['status']} = %s AND {c['claimed_by']} = %s "
        f"RETURNING {c['id']}"
    )
    params = [_at(lease_until), _at(now), *ids, MessageStatus.SENDING, worker_id]
    return set(_ids(sql, params))


def defer(ids: Collection[int], worker_id: str, until: dt.datetime, now: dt.datetime) -> int:
    """Hand claimed messages back until quiet hours end, taking back the attempt the claim
    counted (a deferral is no attempt)."""
    if not ids:
        return 0
    table, c, _lock = _sql_parts()
    sql = (
        f"UPDATE {table} SET {c['status']} = %s, {c['claimed_by']} = '', "
        f"{c['lease_until']} = NULL, {c['next_attempt_at']} = %s, "
        f"{c['attempts']} = {c['attempts']} - 1, {c['updated_at']} = %s, "
        f"{c['last_attempt_at']} = CASE WHEN {c['attempts']} <= 1 THEN NULL "
        f"ELSE {c['last_attempt_at']} END "
        f"WHERE {c['id']} IN {_in(ids)} AND {c['status']} = %s AND {c['claimed_by']} = %s"
    )
    params = [MessageStatus.PENDING, _at(until), _at(now), *ids, MessageStatus.SENDING, worker_id]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount
