"""The in-database path's rows: the query around a source's ``sql`` and the ``COPY`` that
streams what it writes.

PostgreSQL writes each resource's text without ``meta`` and hands it over, beside the change
time, with ``COPY (…) TO STDOUT`` in CSV with a quote and a delimiter that JSON text never holds
raw (``to_json`` and orjson write control characters as ``\\u00XX``): nothing is quoted or
escaped, so a row of the copy is the resource's bytes, the delimiter, the change time's text and
a newline, and Python converts no value but the time (then appends ``meta`` in
`mesocare.fhir.registry`: hashing there keeps that work off the database's core, which is the
busier one).

A source whose ``sql`` reads other tables by joins names them in ``sql_joins``: its rows are
first selected by the very queryset of the Python path (``fhir_rows``: primary key and change
time; the organization, ``_since``, the patients and the scope), then joined to the source's
table and to ``sql_joins`` — typically derived tables grouped by the source's key and restricted
to ``SELECT pk FROM fhir_rows``, so each is read once, not once per row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

# CSV with SOH as the quote and STX as the delimiter: neither is ever in a resource raw.
COPY_OPTIONS = "(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"


def rows_query(
    qs: QuerySet[Any], last_updated: str, body: str, joins: str | None
) -> tuple[str, tuple[Any, ...]]:
    """The SQL (and parameters) of (resource text, change time) of the rows of ``qs``, in
    primary-key order."""
    if joins is None:
        rows = qs.annotate(_fhir_json=RawSQL(body, ())).values_list("_fhir_json", last_updated)
        return rows.query.sql_with_params()  # type: ignore[no-any-return]
    table = qs.model._meta.db_table
    sql, params = qs.values_list("pk", last_updated).query.sql_with_params()
    return (
        f"WITH fhir_rows(pk, u) AS MATERIALIZED ({sql}) SELECT {body}, fhir_rows.u "
        f'FROM fhir_rows JOIN "{table}" ON "{table}"."id" = fhir_rows.pk {joins} '
        "ORDER BY fhir_rows.pk",
        params,
    )


def _utc(text: bytes) -> dt.datetime:
    value = dt.datetime.fromisoformat(text.decode())
    return value if value.utcoffset() == dt.timedelta(0) else value.astimezone(dt.UTC)


def copy_rows(sql: str, params: tuple[Any, ...]) -> Iterator[tuple[bytes, dt.datetime]]:
    """(resource text, change time) of each row of ``sql``, streamed by ``COPY``."""
    statement = f"COPY ({sql}) TO STDOUT {COPY_OPTIONS}"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        # Compiling these long expressions to machine code takes most of a second per query
        # and saves nothing on string concatenation.
        cursor.execute("SET LOCAL jit = off")
        copy_cm = (
            cursor.copy(statement, params) if params else cursor.copy(statement.replace("%%", "%"))
        )
        with copy_cm as copy:
            for data in copy:
                body, _delimiter, updated = bytes(data).rpartition(b"\x02")
                yield body, _utc(updated[:-1])
