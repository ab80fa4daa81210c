"""Writing many outbox messages at once: `enqueue_many`.

The same rules as `enqueue` (organization, kind, key, due time, time zone, the patient's
channel and SMS opt-out), checked for the whole batch before anything is written: one bad
message refuses the batch with an error naming each bad message, and writes nothing. The rows
then go in with multi-row `INSERT … ON CONFLICT (idempotency_key) DO NOTHING RETURNING`, so
the database's unique key decides which messages are new — a key repeated in the call, one
already in the outbox, or one a concurrent transaction is writing at the same moment is
written once — and the caller learns how many were new.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Organization
from mesocare.notify.models import OutboxMessage
from mesocare.notify.outbox import (
    build_message,
    default_timezone,
    invalid_reason,
    opted_out_digits,
    org_id_of,
    resolve_channel,
)

if TYPE_CHECKING:
    from mesocare.patients.models import Patient

# PostgreSQL's protocol carries at most 65,535 parameters in one statement.
MAX_PARAMETERS = 65_535


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
    rows: dict[str, OutboxMessage] = {}
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
        rows[m.idempotency_key] = build_message(
            org_id,
            m.patient,
            m.kind,
            channel,
            due_at=m.due_at,
            payload=m.payload,
            idempotency_key=m.idempotency_key,
            related=m.related,
            template=m.template,
            tz=m.tz or fallback_tz or "UTC",
        )
    result.keys = list(rows)
    with transaction.atomic():
        inserted = set(insert_new(list(rows.values())))
    result.new_keys = [key for key in rows if key in inserted]
    result.existing += len(rows) - len(inserted)
    return result


def insert_new(rows: Sequence[OutboxMessage]) -> list[str]:
    """INSERT the rows, skipping any whose idempotency key exists; returns the keys written.
    Values are prepared by each field as Django's own save would (auto_now, JSON encoder)."""
    if not rows:
        return []
    meta = OutboxMessage._meta
    fields = [f for f in meta.concrete_fields if not f.primary_key]
    key_column = OutboxMessage._meta.get_field("idempotency_key").attname
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column or f.attname) for f in fields)
    per_statement = max(1, min(1000, MAX_PARAMETERS // len(fields)))
    if connection.vendor == "sqlite":
        per_statement = min(per_statement, connection.ops.bulk_batch_size(fields, rows))
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    written: list[str] = []
    with connection.cursor() as cursor:
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
                f"ON CONFLICT ({quote(key_column)}) DO NOTHING "
                f"RETURNING {quote(key_column)}",
                params,
            )
            written.extend(key for (key,) in cursor.fetchall())
    return written
