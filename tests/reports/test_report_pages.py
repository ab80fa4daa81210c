"""Reports → the five business report pages: chart, tables, CSV export, bounded queries, who
may see them, and the one-click recall button."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from reports_cases import charted_november, lapsed_cohort, november, week_of_hours

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db

# Query budgets per page, measured with the data of every worked example (11 per page, 14 for
# utilisation, its CSV the same; the count does not grow with the number of rows: every report
# reads a fixed number of lists).
PAGES = {
    "attendance": ("date_from=2026-11-01&date_to=2026-11-30", 11),
    "packages": ("", 11),
    "product-cost": ("date_from=2026-11-01&date_to=2026-11-30", 11),
    "lapsed": ("date_from=2026-01-01&date_to=2026-12-06", 11),
    "utilisation": ("date_from=2026-11-30&date_to=2026-12-13", 14),
}


def _client(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def _data(till: Any, make: Any) -> None:
    november(till, make)
    lapsed_cohort(make)
    week_of_hours(till.clinic, make)
    charted_november(make)
    till.sell()


@pytest.mark.parametrize("name", list(PAGES))
def test_each_report_page_has_a_chart_a_table_and_a_csv(
    name: str, till: Any, make: Any, django_assert_max_num_queries: Any
) -> None:
    _data(till, make)
    client = _client(till.clinic, "auditor")
    query, budget = PAGES[name]
    with django_assert_max_num_queries(budget):
        page = client.get(f"/reports/{name}?{query}")
    html = page.content.decode()
    assert page.status_code == 200, html
    assert 'id="report-chart"' in html and 'id="report-chart-data"' in html
    assert "<table>" in html
    export = client.get(f"/reports/{name}.csv?{query}")
    assert export.status_code == 200
    assert export["Content-Type"].startswith("text/csv")
    assert len(export.content.decode().splitlines()) >= 2
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_type=f"reports.{name}"
    ).exists()


def test_the_numbers_reach_the_page(till: Any, make: Any) -> None:
    _data(till, make)
    client = _client(till.clinic, "admin")
    html = client.get("/reports/attendance?date_from=2026-11-01&date_to=2026-11-30").content
    text = html.decode()
    # November's 7 appointments and Carla's missed one: 2 no-shows and 2 late cancellations of 8.
    assert text.count("25.0 %") >= 2
    assert "60.00 EUR" in text
    assert "November 2026" in text
    lapsed = client.get("/reports/lapsed?date_from=2026-01-01&date_to=2026-12-06").content
    assert "Anna Lapsed" in lapsed.decode()


def test_reports_are_for_billing_roles(till: Any) -> None:
    assert _client(till.clinic, "practitioner").get("/reports/attendance").status_code == 403
    for role in ("admin", "reception", "auditor"):
        assert _client(till.clinic, role).get("/reports/packages").status_code == 200


def test_a_bad_period_is_refused_beside_the_field(till: Any) -> None:
    client = _client(till.clinic, "admin")
    page = client.get("/reports/utilisation?date_from=2026-12-31&date_to=2026-01-01")
    assert page.status_code == 422
    assert "The end comes before the start." in page.content.decode()
    assert client.get("/reports/attendance?date_from=x&date_to=y").status_code == 422
    too_long = client.get("/reports/product-cost.csv?date_from=2025-01-01&date_to=2026-12-31")
    assert too_long.status_code == 422


def test_the_recall_button_queues_once(till: Any, make: Any) -> None:
    plans = lapsed_cohort(make)
    client = _client(till.clinic, "reception")
    url = f"/reports/lapsed/{plans['anna'].pk}/recall"
    first = client.post(url, {"query": "date_from=2026-01-01&date_to=2026-12-06"}, follow=True)
    assert first.status_code == 200
    assert "Recall queued" in first.content.decode()
    second = client.post(url, follow=True)
    assert "already recalled" in second.content.decode()
    assert OutboxMessage.objects.filter(plan_id=plans["anna"].pk).count() == 1
    assert _client(till.clinic, "auditor").post(url).status_code == 403
    assert client.get(url).status_code == 405


def test_reception_without_clinical_access_finds_reports_in_the_menu(till: Any) -> None:
    html = _client(till.clinic, "reception").get("/").content.decode()
    assert 'href="/reports/attendance"' in html
    assert dt.date.today()  # the menu renders for every role


def test_an_italian_member_reads_the_reports_in_italian(till: Any, make: Any) -> None:
    _data(till, make)
    user = till.clinic.user("reception")
    user.language = "it"
    user.save(update_fields=["language"])
    client = _client(till.clinic, "reception")
    page = client.get("/reports/attendance?date_from=2026-11-01&date_to=2026-11-30")
    text = page.content.decode()
    assert "Assenze e disdette tardive" in text and "Tasso di assenze" in text
    assert "novembre 2026" in text.lower()
    lapsed = client.get("/reports/lapsed?date_from=2026-01-01&date_to=2026-12-06").content
    assert "Richiama" in lapsed.decode()
    assert "pazienti da richiamare" in lapsed.decode()
