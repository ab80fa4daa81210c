"""Packages (sold, used, deferred revenue) and product cost per session: worked examples."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from reports_cases import charted_november

from mesocare.billing.services import payments
from mesocare.reports.common import Filters
from mesocare.reports.packages import package_report
from mesocare.reports.product_cost import product_cost

pytestmark = pytest.mark.django_db
ROME = ZoneInfo("Europe/Rome")


def _pay(till: Any, package: Any, amount: str) -> None:
    payments.record_payment(
        till.clinic.actor("reception"),
        amount=amount,
        method="card_terminal",
        location_id=till.clinic.location.pk,
        invoice_id=package.invoice_id,
    )


def test_packages_sold_used_and_deferred_revenue(till: Any, other_clinic: Any) -> None:
    paid_up = till.sell()  # 600.00 for 6 sessions, exempt
    _pay(till, paid_up, "600.00")
    till.signed_session()  # uses one session of the package that expires first
    till.signed_session()
    today = till.clinic.today()
    report = package_report(till.clinic.actor("auditor"), Filters(today, today))
    [offer] = report["offer"]
    assert (offer.key, offer.sold, offer.sold_value) == ("Course of 6", 1, Decimal("600.00"))
    assert (offer.consumed, offer.consumed_value) == (2, Decimal("200.00"))
    assert offer.outstanding_sessions == 4
    assert offer.deferred == Decimal("400.00")  # paid 600, earned 2 × 100
    assert [m.key for m in report["month"]] == [today.strftime("%Y-%m")]
    # At the end of yesterday nothing had been sold yet.
    yesterday = today - dt.timedelta(days=1)
    assert package_report(till.clinic.actor("admin"), Filters(yesterday, yesterday)) == {
        "offer": [],
        "month": [],
    }
    assert package_report(other_clinic.actor("admin"), Filters(today, today))["offer"] == []


def test_an_instalment_earned_by_used_sessions_defers_nothing(till: Any) -> None:
    package = till.sell(instalments=3)
    _pay(till, package, "200.00")
    till.signed_session()
    today = till.clinic.today()
    [offer] = package_report(till.clinic.actor("admin"), Filters(today, today))["offer"]
    assert (offer.outstanding_sessions, offer.deferred) == (5, Decimal("100.00"))


def test_product_cost_per_session_from_the_lots_unit_costs(clinic: Any, make: Any) -> None:
    caffeine, lidocaine = charted_november(make)
    report = product_cost(
        clinic.actor("auditor"), Filters(dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    )
    [protocol] = report["protocol"]
    assert (protocol.sessions, protocol.cost, protocol.per_session) == (
        2, Decimal("33.00"), Decimal("16.50"),
    )  # fmt: skip
    assert protocol.volume_ml == Decimal("8.5")
    assert protocol.uncosted_ml == Decimal("1")
    products = {r.key: r for r in report["product"]}
    assert (products[caffeine.product.name].sessions, products[caffeine.product.name].cost) == (
        2, Decimal("15.00"),
    )  # fmt: skip
    assert products[lidocaine.product.name].cost == Decimal("0.00")
    assert products[lidocaine.product.name].uncosted_ml == Decimal("1")
    assert [m.key for m in report["month"]] == ["2026-11"]
