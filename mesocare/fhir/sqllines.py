"""The in-database path's rows: the query around a source's ``sql`` and the ``COPY`` that
streams what it writes.

PostgreSQL writes each resource's text without ``meta`` and hands it over, beside the change
time, with ``COPY (…) TO STDOUT`` in CSV with a quote and a delimiter that JSON text never holds
raw (``to_json`` and orjson write control characters as ``\\u00XX``, newlines included): nothing
is quoted or escaped, so a row of the copy is the resource's bytes, the delimiter, the change
time's text and a newline, and Python converts no value but the time (then appends ``meta`` in
`mesocare.fhir.registry`: hashing there keeps that work off the database's core, which is the
busier one). Rows come one by one and Python gathers them in blocks of ``BLOCK_LINES``: reading
a row of a copy costs the driver well under a microsecond, while gathering them in SQL
(``string_agg`` over ``row_number``) made PostgreSQL sort the whole output, resources' text and
all, and copy every line twice more.

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

# CSV with SOH as the quote and STX as the delimiter: neither is ever in a line raw.
COPY_OPTIONS = "(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
BLOCK_LINES = 1000


def rows_query(
    qs: QuerySet[Any], last_updated: str, body: str, joins: str | None, updated: str | None = None
) -> tuple[str, tuple[Any, ...]]:
    """The SQL (and parameters) of (resource text, change time) of the rows of ``qs``, in
    primary-key order; ``updated``, with ``joins``, is the change time read from them instead of
    the queryset's ``last_updated``."""
    if joins is None:
        rows = qs.annotate(_fhir_json=RawSQL(body, ())).values_list("_fhir_json", last_updated)
        return rows.query.sql_with_params()  # type: ignore[no-any-return]
    table = qs.model._meta.db_table
    if updated is None:
        sql, params = qs.values_list("pk", last_updated).query.sql_with_params()
        names, updated = "pk, u", "fhir_rows.u"
    else:
        sql, params = qs.values_list("pk").query.sql_with_params()
        names = "pk"
    return (
        f"WITH fhir_rows({names}) AS MATERIALIZED ({sql}) SELECT {body}, {updated} "
        f'FROM fhir_rows JOIN "{table}" ON "{table}"."id" = fhir_rows.pk {joins} '
        "ORDER BY fhir_rows.pk",
        params,
    )


def iso_instant(text: bytes) -> bytes:
    """A ``timestamptz``'s text (ISO style, in UTC: ``2026-03-29 00:59:59.5+00``) as
    ``datetime.isoformat()`` writes it (``2026-03-29T00:59:59.500000+00:00``)."""
    moment, _sign, zone = text.rpartition(b"+")
    if zone != b"00" or len(moment) < 19 or moment[10:11] != b" ":  # BC, years past 9999
        value = dt.datetime.fromisoformat(text.decode()).astimezone(dt.UTC)
        return value.isoformat().encode()
    if len(moment) > 19:
        moment = moment.ljust(26, b"0")
    return moment[:10] + b"T" + moment[11:] + b"+00:00"


def copy_blocks(
    sql: str, params: tuple[Any, ...]
) -> Iterator[tuple[int, list[tuple[bytes, bytes]]]]:
    """Blocks of up to BLOCK_LINES (resource text, change time as `iso_instant` writes it) of
    the rows of ``sql`` (resource text, change time), in its order, streamed by ``COPY``:
    (number of rows, the rows)."""
    statement = f"COPY ({sql}) TO STDOUT {COPY_OPTIONS}"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        # Compiling these long expressions to machine code takes most of a second per query
        # and saves nothing on string concatenation; times are read as ISO 8601 in UTC.
        cursor.execute("SET LOCAL jit = off")
        # The export already reads with a connection a core (FHIR_EXPORT_CONNECTIONS): workers
        # of a parallel plan would only add their start, their queues and a Gather.
        cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute("SET LOCAL DateStyle = 'ISO'")
        cursor.execute("SET LOCAL TimeZone = 'UTC'")
        copy_cm = (
            cursor.copy(statement, params) if params else cursor.copy(statement.replace("%%", "%"))
        )
        size = BLOCK_LINES
        with copy_cm as copy:
            rows: list[tuple[bytes, bytes]] = []
            for data in copy:
                # One row a message: text STX time LF (never quoted, see the module docstring).
                body, _stx, updated = bytes(data).rpartition(b"\x02")
                rows.append((body, iso_instant(updated[:-1])))
                if len(rows) == size:
                    yield size, rows
                    rows = []
            if rows:
                yield len(rows), rows
