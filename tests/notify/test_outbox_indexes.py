"""The outbox's lookups by subject or organization still have an index (PostgreSQL), now that
the subject's indexes hold only the rows that have one and the organization's is the first
column of the composite indexes: deleting an appointment, a plan, a session or an
organization finds its messages without reading the table."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from mesocare.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _postgresql_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("plans are PostgreSQL's")


def plan(queryset) -> str:
    """The plan of `queryset` when the table is not read whole (the test's table is tiny, a
    scan of it would win)."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_seqscan = off")
        text = queryset.explain()
        transaction.set_rollback(True)
    return text


@pytest.mark.parametrize(
    ("lookup", "index"),
    [
        ({"appointment_id__in": [1, 2]}, "outbox_appointment"),
        ({"plan_id__in": [1, 2]}, "outbox_plan"),
        ({"session_id": 1}, "outbox_session"),
    ],
)
def test_the_messages_of_a_subject_are_found_through_its_partial_index(db, lookup, index):
    assert index in plan(OutboxMessage.objects.filter(**lookup))


def test_the_messages_of_an_organization_are_found_through_a_composite_index(clinic):
    text = plan(OutboxMessage.objects.filter(organization_id=clinic.org.pk))
    assert "Seq Scan" not in text
    assert any(
        name in text for name in ("outbox_patient", "outbox_org_status", "outbox_org_recent")
    )
