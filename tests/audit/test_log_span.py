"""The audit log is read newest month first: its queries carry the span the monthly partitions
cover, so PostgreSQL leaves DEFAULT out of the plan — unless some event of the organization
lies in DEFAULT outside that span, and then the query is left whole. Either way the page
lists the same events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from mesocare.audit import partitions
from mesocare.audit.log_span import partition_span, within_partitions
from mesocare.audit.models import AuditEvent
from mesocare.core.months import Month

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is PostgreSQL's"
)
STRAY = dt.datetime(2018, 3, 1, 12, tzinfo=dt.UTC)  # a month without its own partition


def _event(org: Any, at: dt.datetime, summary: str) -> AuditEvent:
    return AuditEvent.objects.create(
        organization=org, actor_label="system", action="read", object_type="x", at=at,
        summary=summary,
    )  # fmt: skip


def _listed(client: Any) -> list[str]:
    """The test events' summaries in the order the page lists them."""
    html = client.get("/audit").content.decode()
    found = [(html.index(f">{s}<"), s) for s in ("recent", "older", "stray") if f">{s}<" in html]
    return [s for _, s in sorted(found)]


def _plan(qs: Any) -> str:
    with connection.cursor() as cursor:
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@on_postgres
def test_the_span_runs_from_the_first_months_partition_to_the_end_of_the_last(clinic):
    months = sorted(partitions.existing_months())
    _event(clinic.org, dt.datetime.now(dt.UTC), "recent")
    assert partition_span(clinic.org.pk) == (months[0].start_utc(), months[-1].plus(1).start_utc())


@on_postgres
def test_within_the_span_the_same_events_are_read_and_default_is_left_out(clinic):
    first_month = min(partitions.existing_months())
    _event(clinic.org, dt.datetime.now(dt.UTC), "recent")
    _event(clinic.org, first_month.start_utc() + dt.timedelta(hours=1), "older")
    log = AuditEvent.objects.for_org(clinic.org).order_by("-at", "-id")
    spanned = within_partitions(log, clinic.org.pk)
    assert list(spanned) == list(log)
    assert partitions.DEFAULT_PARTITION in _plan(log.all()[:50])
    assert partitions.DEFAULT_PARTITION not in _plan(spanned.all()[:50])


@on_postgres
def test_an_event_outside_the_partitions_keeps_the_whole_table_in_the_query(clinic, other_clinic):
    _event(clinic.org, dt.datetime.now(dt.UTC), "recent")
    _event(other_clinic.org, STRAY, "stray")  # another organization's: no matter
    assert partition_span(clinic.org.pk) is not None
    _event(clinic.org, STRAY, "stray")
    assert partition_span(clinic.org.pk) is None
    log = AuditEvent.objects.for_org(clinic.org).order_by("-at", "-id")
    assert within_partitions(log, clinic.org.pk) is log
    partitions.ensure_months([Month(2018, 3)])  # the stray event moves into its month
    assert partition_span(clinic.org.pk) is not None


def test_the_audit_log_page_lists_every_event_wherever_it_is_stored(clinic: Any) -> None:
    now = dt.datetime.now(dt.UTC)
    _event(clinic.org, now, "recent")
    _event(clinic.org, now - dt.timedelta(days=40), "older")
    client = Client()
    client.force_login(clinic.user("auditor"))
    assert _listed(client) == ["recent", "older"]
    _event(clinic.org, STRAY, "stray")
    assert _listed(client) == ["recent", "older", "stray"]
    if connection.vendor != "postgresql":
        assert partition_span(clinic.org.pk) is None
