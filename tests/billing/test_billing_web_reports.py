"""Till → Revenue: net revenue by service, practitioner, location and month, chart and CSV."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.billing.services import invoicing
from mesocare.billing.services.invoicing import ItemRequest
from mesocare.web.views.billing_reports import revenue

pytestmark = pytest.mark.django_db


def _client(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def test_revenue_is_invoiced_less_credited_by_each_dimension(till: Any) -> None:
    package = till.sell()  # 600.00 exempt
    retail = invoicing.issue_retail_invoice(
        till.clinic.actor("reception"),
        patient_id=till.clinic.patient.pk,
        location_id=till.clinic.location.pk,
        items=[ItemRequest(till.product.pk, Decimal(2))],  # 2 x 24.59 net
    )
    invoicing.issue_credit_note(till.clinic.actor("admin"), retail.pk, reason="Returned")
    today = till.clinic.today()
    report = revenue(till.clinic.actor("auditor"), today, today)
    by_location = {e["key"]: e["net"] for e in report["location"]}
    assert by_location == {till.clinic.location.name: Decimal("600.00")}
    by_service = {e["key"]: e["net"] for e in report["service"]}
    assert by_service["Aftercare serum 30 ml"] == Decimal("0.00")
    assert sum(by_service.values()) == Decimal("600.00")
    assert report["month"] == [
        {"key": today.strftime("%Y-%m"), "currency": "EUR", "net": Decimal("600.00")}
    ]
    assert package.invoice.net_total == Decimal("600.00")


def test_revenue_page_chart_and_csv(till: Any, django_assert_max_num_queries: Any) -> None:
    till.sell()
    client = _client(till.clinic, "auditor")
    today = till.clinic.today().isoformat()
    with django_assert_max_num_queries(20):
        page = client.get(f"/till/revenue?date_from={today}&date_to={today}")
    html = page.content.decode()
    assert page.status_code == 200
    assert 'id="chart-revenue"' in html
    assert "600.00 EUR" in html
    export = client.get(f"/till/revenue.csv?date_from={today}&date_to={today}")
    assert export.status_code == 200
    assert "location," in export.content.decode()
    assert AuditEvent.objects.filter(
        action=AuditAction.EXPORT, object_type="billing.revenue"
    ).exists()


def test_bad_periods_are_refused_beside_the_field(till: Any) -> None:
    client = _client(till.clinic, "admin")
    backwards = client.get("/till/revenue?date_from=2026-12-31&date_to=2026-01-01")
    assert backwards.status_code == 422
    assert "The end comes before the start." in backwards.content.decode()
    assert client.get("/till/revenue?date_from=x&date_to=y").status_code == 422
    assert (
        client.get("/till/revenue.csv?date_from=2025-01-01&date_to=2026-12-31").status_code == 422
    )


def test_revenue_is_for_billing_roles_and_own_organization(till: Any, other_clinic: Any) -> None:
    assert _client(till.clinic, "practitioner").get("/till/revenue").status_code == 403
    till.sell()
    today = till.clinic.today()
    assert revenue(other_clinic.actor("admin"), today, today)["location"] == []
