"""PostgreSQL: the audit log is partitioned by month; the worker keeps the coming months'
partitions created; a partition made for a month whose rows sit in DEFAULT takes them; rows
cannot be changed or deleted. On SQLite the table stays plain and the job does nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from mesocare.audit import partitions
from mesocare.audit.models import AppendOnlyError, AuditEvent
from mesocare.audit.services import record
from mesocare.core.months import Month
from mesocare.notify.worker import run_periodic_jobs

pytestmark = pytest.mark.django_db
on_postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="partitioning is PostgreSQL's"
)


def _event(clinic: Any, at: dt.datetime) -> AuditEvent:
    return AuditEvent.objects.create(
        organization=clinic.org, actor_label="system", action="read", object_type="x", at=at
    )


def _where(event: AuditEvent) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tableoid::regclass::text FROM audit_auditevent WHERE id = %s", [event.pk]
        )
        return str(cursor.fetchone()[0])


@on_postgres
def test_the_table_is_partitioned_with_a_key_holding_id_organization_and_month():
    assert partitions.is_partitioned()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'audit_auditevent'::regclass AND contype = 'p'"
        )
        assert cursor.fetchone()[0] == "PRIMARY KEY (id, organization_id, at)"
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'audit_auditevent' "
            "AND indexname LIKE 'audit_org%%'"
        )
        assert {n for (n,) in cursor.fetchall()} >= {"audit_org_at", "audit_org_patient"}


@on_postgres
def test_new_events_land_in_their_months_partition_and_ids_keep_counting(clinic):
    first = record(clinic.actor(), "read", clinic.patient)
    second = record(clinic.actor(), "read", clinic.patient)
    assert second.pk == first.pk + 1
    assert _where(first) == partitions.partition_name(Month.of(first.at.astimezone(dt.UTC)))


@on_postgres
def test_the_periodic_job_creates_the_coming_months_once():
    later = dt.datetime(2031, 5, 20, tzinfo=dt.UTC)
    assert run_periodic_jobs(later)["audit_partitions_created"] == 4  # May to August 2031
    assert {Month(2031, m) for m in (5, 6, 7, 8)} <= partitions.existing_months()
    assert run_periodic_jobs(later)["audit_partitions_created"] == 0


@on_postgres
def test_a_partition_for_a_month_with_rows_in_default_takes_them(clinic):
    at = dt.datetime(2018, 2, 10, 12, 0, tzinfo=dt.UTC)
    stray = [_event(clinic, at), _event(clinic, at + dt.timedelta(days=17))]
    neighbour = _event(clinic, dt.datetime(2018, 3, 1, tzinfo=dt.UTC))
    assert {_where(e) for e in stray} == {partitions.DEFAULT_PARTITION}

    assert partitions.ensure_months([Month(2018, 2)]) == 1

    assert {_where(e) for e in stray} == {"audit_auditevent_p2018_02"}
    assert _where(neighbour) == partitions.DEFAULT_PARTITION
    moved = AuditEvent.objects.filter(pk__in=[e.pk for e in stray]).order_by("pk")
    assert [(e.pk, e.at) for e in moved] == [(e.pk, e.at) for e in stray]


@on_postgres
def test_rows_cannot_be_changed_or_deleted_even_by_a_bulk_query(clinic):
    event = record(clinic.actor(), "read", clinic.patient)
    for change in (
        lambda: AuditEvent.objects.filter(pk=event.pk).update(summary="edited"),
        lambda: AuditEvent.objects.filter(pk=event.pk).delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            change()
    assert AuditEvent.objects.get(pk=event.pk).summary == event.summary


def test_the_model_refuses_changes_on_every_database(clinic):
    event = record(clinic.actor(), "read", clinic.patient)
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()


def test_a_plain_audit_table_gets_no_partitions_from_the_job(monkeypatch: Any) -> None:
    # SQLite keeps one table; a PostgreSQL database is made to look the same.
    monkeypatch.setattr(connection, "vendor", "sqlite")
    assert (
        run_periodic_jobs(dt.datetime(2031, 5, 20, tzinfo=dt.UTC))["audit_partitions_created"] == 0
    )
