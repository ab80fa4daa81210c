"""A cursor whose fixed statements PostgreSQL may keep prepared.

Django's PostgreSQL cursors bind parameters on the client, so the server parses and plans every
statement anew (the API token's four-table lookup: 0.56 ms of planning for 0.07 ms of
execution). A server-binding psycopg cursor sends the parameters apart, and psycopg prepares a
statement once the connection has run it ``prepare_threshold`` times (`DB_PREPARE_THRESHOLD`;
-1 never, as PgBouncer older than 1.21 in transaction mode needs). It is wrapped as Django wraps
its cursors, so errors are Django's and execute wrappers (Server-Timing, query counts) see it.
While queries are logged (debugging, query counts in tests) it is Django's own cursor, the one
whose SQL Django can show. For statements of a fixed text only: each text is a prepared
statement of every connection that runs it often."""

from __future__ import annotations

from typing import Any

import psycopg


def statement_cursor(db: Any) -> Any:
    if db.vendor != "postgresql" or db.queries_logged:
        return db.cursor()
    db.ensure_connection()
    return db.make_cursor(psycopg.Cursor(db.connection))
