"""The span of time the audit log's monthly partitions cover, as a filter that lets PostgreSQL
read the log newest month first.

The audit log lists events newest first (`ORDER BY at DESC`), 50 a page. On the partitioned
table (PostgreSQL, `mesocare.audit.partitions`) PostgreSQL can scan the monthly partitions one
after the other, newest first, and stop as soon as the page is full (an ordered Append: the
older months are never read) — but only when the DEFAULT partition is left out of the plan,
because DEFAULT may hold rows of any month. Otherwise it opens every month at once and merges
them (a Merge Append), and a filter that matches few recent rows (a rare action, one person's
events) makes each of the 40-odd months search for its first match.

`within_partitions` adds `at >= first month AND at < end of the last month` to a query when no
event of the organization lies outside that span (in DEFAULT, which the same statement checks
with one probe of its index): the query then returns the same rows, and the planner leaves
DEFAULT out. When some event does lie outside (a partition not created in time), the query is
left as it was. SQLite keeps one plain table: nothing changes there.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.db.models import QuerySet

from mesocare.audit.models import AuditEvent
from mesocare.audit.partitions import DEFAULT_PARTITION, TABLE
from mesocare.lib.db.prepared import statement_cursor

# The partitions' months from their names (audit_auditevent_pYYYY_MM), UTC month starts; the
# span only when the organization has no event in DEFAULT outside it. Catalog reads and one
# index probe: no partition of the log is planned.
SPAN_SQL = f"""
    SELECT span.first_month AT TIME ZONE 'UTC', span.after_last AT TIME ZONE 'UTC'
    FROM (
        SELECT min(m) AS first_month, max(m) + interval '1 month' AS after_last
        FROM (
            SELECT to_date(substring(c.relname FROM '_p([0-9]{{4}}_[0-9]{{2}})$'), 'YYYY_MM')
                   ::timestamp AS m
            FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
            WHERE i.inhparent = '{TABLE}'::regclass
        ) months
        WHERE m IS NOT NULL
    ) span
    WHERE span.first_month IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM {DEFAULT_PARTITION} d
        WHERE d.organization_id = %s
          AND (d.at < span.first_month AT TIME ZONE 'UTC'
               OR d.at >= span.after_last AT TIME ZONE 'UTC')
    )
"""  # noqa: S608 - table names are the module's constants, the value is a parameter


def partition_span(org_id: int) -> tuple[dt.datetime, dt.datetime] | None:
    """[start, end) of the monthly partitions when every event of the organization lies
    within it; None on SQLite or when some event lies outside."""
    if connection.vendor != "postgresql":
        return None
    with statement_cursor(connection) as cursor:
        cursor.execute(SPAN_SQL, [org_id])
        row = cursor.fetchone()
    if row is None:
        return None
    start, end = row
    return start, end


def within_partitions(qs: QuerySet[AuditEvent], org_id: int) -> QuerySet[AuditEvent]:
    """`qs` (one organization's events) with the partitions' span as a filter on `at`: the
    same rows, read newest month first. Unchanged when there is no such span."""
    span = partition_span(org_id)
    if span is None:
        return qs
    return qs.filter(at__gte=span[0], at__lt=span[1])
