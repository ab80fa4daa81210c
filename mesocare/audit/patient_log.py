"""One patient's audit events, newest first, as a paginator reads them (`count()` and slices).

A patient's events span every month, so on the partitioned table (PostgreSQL) no partition can
be pruned and planning each query costs a pass over every partition and its indexes (about
30 ms with 100 monthly partitions on a busy 2-core machine, for a query that runs in under
1 ms). The two statements therefore go through a server-binding cursor that psycopg prepares
(`DB_PREPARE_THRESHOLD`): PostgreSQL plans them a few times per connection, then reuses the
generic plan, which is the same plan. SQLite reads through the ORM."""

from __future__ import annotations

from typing import Any

import psycopg
from django.db import connection

from mesocare.audit.models import AuditEvent

_FIELDS = AuditEvent._meta.concrete_fields
_COLUMNS = ", ".join(f'"{f.column}"' for f in _FIELDS)
_WHERE = 'FROM "audit_auditevent" WHERE "organization_id" = %s AND "patient_id" = %s'
COUNT_SQL = f"SELECT count(*) {_WHERE}"
PAGE_SQL = f'SELECT {_COLUMNS} {_WHERE} ORDER BY "at" DESC, "id" DESC LIMIT %s OFFSET %s'


class PatientAuditLog:
    """The events about one patient in one organization (`AuditEvent.patient_id`)."""

    def __init__(self, organization_id: int, patient_id: int) -> None:
        self.organization_id = organization_id
        self.patient_id = patient_id

    def _queryset(self) -> Any:
        return AuditEvent.objects.for_org(self.organization_id).filter(patient_id=self.patient_id)

    def _rows(self, sql: str, params: list[Any]) -> list[tuple[Any, ...]]:
        connection.ensure_connection()
        if connection.queries_logged:  # Django's cursor: its SQL shows in query logs and counts
            cursor = connection.cursor()
        else:
            cursor = connection.make_cursor(psycopg.Cursor(connection.connection))  # type: ignore[arg-type]
        with cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def count(self) -> int:
        if connection.vendor != "postgresql":
            return int(self._queryset().count())
        return int(self._rows(COUNT_SQL, [self.organization_id, self.patient_id])[0][0])

    def __getitem__(self, window: slice) -> list[AuditEvent]:
        if not isinstance(window, slice) or window.step not in (None, 1):
            raise TypeError("a patient's audit log is read by pages (slices)")
        if connection.vendor != "postgresql":
            return list(self._queryset()[window])
        start = window.start or 0
        limit = None if window.stop is None else max(window.stop - start, 0)
        rows = self._rows(PAGE_SQL, [self.organization_id, self.patient_id, limit, start])
        return [self._event(row) for row in rows]

    @staticmethod
    def _event(row: tuple[Any, ...]) -> AuditEvent:
        values = [
            f.from_db_value(v, None, connection) if hasattr(f, "from_db_value") else v
            for f, v in zip(_FIELDS, row, strict=True)
        ]
        return AuditEvent.from_db(connection.alias, [f.attname for f in _FIELDS], values)
