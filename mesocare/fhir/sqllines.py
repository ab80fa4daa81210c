"""The in-database path's lines: the query around a source's ``sql`` and the ``COPY`` that
streams what it writes.

PostgreSQL writes each whole line, ``meta`` included (``versionId`` is the first 16 hex digits
of the SHA-256 of the resource's text without ``meta``, ``lastUpdated`` the change time, as
`mesocare.fhir.registry` appends them in Python), and hands the lines over with
``COPY (…) TO STDOUT`` in CSV with a quote and a delimiter that JSON text never holds raw
(``to_json`` and orjson write control characters as ``\\u00XX``): nothing is quoted or
escaped, so each row of the copy is the line's bytes and a newline, and Python converts no
value at all.

A source whose ``sql`` reads other tables by joins names them in ``sql_joins``: its rows are
first selected by the very queryset of the Python path (``fhir_rows``: primary key and change
time; the organization, ``_since``, the patients and the scope), then joined to the source's
table and to ``sql_joins`` — typically derived tables grouped by the source's key and restricted
to ``SELECT pk FROM fhir_rows``, so each is read once, not once per row.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.db.models.expressions import RawSQL

from mesocare.fhir import sqljson as q

# CSV with SOH as the quote and STX as the delimiter: neither is ever in a line raw.
COPY_OPTIONS = "(FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"


def _line(body: str, updated: str) -> str:
    """The line of a resource whose text (without ``meta``) is the SQL value ``body``."""
    version = f"left(encode(sha256(convert_to({body}, 'UTF8')), 'hex'), 16)"
    return (
        f"""left({body}, -1) || ',"meta":{{"versionId":"' || {version} """
        f"""|| '","lastUpdated":' || {q.instant(updated)} || '}}}}'"""
    )


def lines_query(
    qs: QuerySet[Any], last_updated: str, body: str, joins: str | None
) -> tuple[str, tuple[Any, ...]]:
    """The SQL (and parameters) of the lines of the rows of ``qs``, in primary-key order."""
    if joins is None:
        rows = qs.annotate(_fhir_json=RawSQL(body, ())).values_list("_fhir_json", last_updated)
        sql, params = rows.query.sql_with_params()
        # OFFSET 0 keeps the body a column computed once, not an expression copied twice.
        return f"SELECT {_line('r.b', 'r.u')} FROM ({sql} OFFSET 0) r(b, u)", params
    table = qs.model._meta.db_table
    sql, params = qs.values_list("pk", last_updated).query.sql_with_params()
    return (
        f"WITH fhir_rows(pk, u) AS MATERIALIZED ({sql}) "
        f"SELECT {_line('r.b', 'r.u')} FROM (SELECT {body} AS b, fhir_rows.u AS u, "
        f'fhir_rows.pk AS pk FROM fhir_rows JOIN "{table}" ON "{table}"."id" = fhir_rows.pk '
        f"{joins} OFFSET 0) r ORDER BY r.pk",
        params,
    )


def copy_lines(sql: str, params: tuple[Any, ...]) -> Iterator[bytes]:
    """The lines of ``sql`` (without their newline), streamed by ``COPY``."""
    statement = f"COPY ({sql}) TO STDOUT {COPY_OPTIONS}"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        copy_cm = (
            cursor.copy(statement, params) if params else cursor.copy(statement.replace("%%", "%"))
        )
        with copy_cm as copy:
            for data in copy:
                yield bytes(data[:-1])
