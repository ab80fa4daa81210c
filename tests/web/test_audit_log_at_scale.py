"""The audit log page stays cheap however long the organization's history: it counts only a
few pages past the one shown, offers the object types with a skip scan of the index, filters
dates as a range on the indexed time, and its query count does not grow with the events."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from mesocare.audit.models import AuditEvent
from mesocare.clinics.models import Organization
from mesocare.web.forms.audit import object_types, offered_object_types
from mesocare.web.pagination import CappedPaginator

pytestmark = pytest.mark.django_db
ROME = zoneinfo.ZoneInfo("Europe/Rome")


def _bulk(clinic: Any, n: int, **fields: Any) -> None:
    """`n` events of the clinic's organization (straight inserts: the log is append-only and
    a test needs thousands of them)."""
    start = fields.pop("at", dt.datetime(2026, 11, 1, 9, tzinfo=dt.UTC))
    defaults = {
        "actor_label": "admin",
        "action": "read",
        "object_type": "patients.patient",
        "object_id": str(clinic.patient.pk),
        "patient_id": clinic.patient.pk,
        "channel": "web",
    }
    AuditEvent.objects.bulk_create(
        AuditEvent(
            organization=clinic.org,
            at=start + dt.timedelta(minutes=i),
            **{**defaults, **fields},
        )
        for i in range(n)
    )


def test_a_capped_paginator_counts_only_a_few_pages_past_the_one_asked(clinic: Any) -> None:
    _bulk(clinic, 30)
    events = AuditEvent.objects.for_org(clinic.org).order_by("-at", "-id")
    first = CappedPaginator(events, 2, "1", ahead=3)
    assert (first.count, first.num_pages, first.more) == (8, 4, True)
    page = first.get_page("1")
    assert page.has_next() and len(page.object_list) == 2
    deeper = CappedPaginator(events, 2, "10", ahead=3)
    assert (deeper.count, deeper.more) == (26, True)
    assert deeper.get_page("10").number == 10
    whole = CappedPaginator(events, 2, "14", ahead=3)
    assert (whole.count, whole.num_pages, whole.more) == (30, 15, False)
    for junk in ("", "x", None, "-4", "99999999999999999999999"):
        assert CappedPaginator(events, 2, junk, ahead=3).get_page(junk).object_list


def test_a_long_history_shows_more_than_the_counted_events_and_pages_on(
    web: Callable[[str], Any], clinic: Any
) -> None:
    _bulk(clinic, 1_100)
    client = web("auditor")
    html = client.get("/audit").content.decode()
    assert "More than 1050 events" in html
    assert "Page 1 of more than 21" in html
    html = client.get("/audit", {"page": 22}).content.decode()
    assert "Page 22 of 22" in html  # 1,100 events, 50 a page: the last page is reached
    assert "More than" not in html


def test_a_short_history_still_shows_its_exact_count(
    web: Callable[[str], Any], clinic: Any
) -> None:
    _bulk(clinic, 7)
    html = web("auditor").get("/audit").content.decode()
    assert "7 events" in html
    assert "More than" not in html


def test_the_query_count_does_not_grow_with_the_history(
    web: Callable[[str], Any], clinic: Any, django_assert_max_num_queries: Any
) -> None:
    client = web("auditor")
    _bulk(clinic, 5)
    with django_assert_max_num_queries(12):
        small = client.get("/audit", {"object_type": "patients.patient"})
    _bulk(clinic, 1_200, object_type="clinics.room", patient_id=None)
    cache.clear()  # the list of object types is read again, as on the first request
    with django_assert_max_num_queries(12):
        large = client.get("/audit", {"object_type": "patients.patient"})
    assert small["Server-Timing"].split('desc="')[-1] == large["Server-Timing"].split('desc="')[-1]


def test_object_types_are_the_organizations_own_sorted(clinic: Any, other_clinic: Any) -> None:
    _bulk(clinic, 3, object_type="plans.treatmentplan")
    _bulk(clinic, 2, object_type="clinics.room")
    _bulk(other_clinic, 1, object_type="billing.invoice")
    kinds = object_types(clinic.org.pk)
    assert kinds == sorted(set(kinds))
    assert {"plans.treatmentplan", "clinics.room"} <= set(kinds)
    assert "billing.invoice" not in kinds
    assert kinds == sorted(
        AuditEvent.objects.for_org(clinic.org)
        .order_by("object_type")
        .values_list("object_type", flat=True)
        .distinct()
    )


def test_the_offered_object_types_are_read_once_and_again_for_a_type_they_lack(
    web: Callable[[str], Any], clinic: Any, django_assert_num_queries: Any
) -> None:
    _bulk(clinic, 2, object_type="plans.treatmentplan")
    assert offered_object_types(clinic.org.pk) == object_types(clinic.org.pk)
    _bulk(clinic, 1, object_type="billing.invoice", patient_id=None)
    with django_assert_num_queries(0):  # reused: the new type is not offered yet
        assert "billing.invoice" not in offered_object_types(clinic.org.pk)
    client = web("auditor")
    page = client.get("/audit", {"object_type": "billing.invoice"})
    assert page.status_code == 200
    assert page.context["form"].is_valid(), page.context["form"].errors
    assert len(page.context["rows"]) == 1  # the one invoice event, not the plans' two
    assert "billing.invoice" in offered_object_types(clinic.org.pk)


def test_an_organization_without_events_has_no_object_types() -> None:
    empty = Organization.objects.create(name="Empty clinic", slug="empty-clinic")
    assert object_types(empty.pk) == []


def test_dates_filter_on_the_clinics_wall_clock_around_midnight(
    web: Callable[[str], Any], clinic: Any
) -> None:
    """23:30 on 30 November and 00:30 on 1 December in Rome are 22:30 and 23:30 UTC on
    30 November: the day filter follows the clinic's clock, not UTC's."""
    late = dt.datetime(2026, 11, 30, 23, 30, tzinfo=ROME)
    early = dt.datetime(2026, 12, 1, 0, 30, tzinfo=ROME)
    _bulk(clinic, 1, at=late, summary="late on the 30th", object_type="clinics.room")
    _bulk(clinic, 1, at=early, summary="early on the 1st", object_type="clinics.room")
    client = web("auditor")
    base = {"object_type": "clinics.room"}
    html = client.get("/audit", {**base, "date_from": "2026-12-01"}).content.decode()
    assert "early on the 1st" in html and "late on the 30th" not in html
    html = client.get("/audit", {**base, "date_to": "2026-11-30"}).content.decode()
    assert "late on the 30th" in html and "early on the 1st" not in html
    html = client.get(
        "/audit", {**base, "date_from": "2026-11-30", "date_to": "2026-11-30"}
    ).content.decode()
    assert "late on the 30th" in html and "early on the 1st" not in html
