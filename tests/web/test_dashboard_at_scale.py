"""The dashboard stays one screen of work however large the organization: its cards read a
bounded number of rows and its query count does not grow with the data behind them."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mesocare.catalog.models import Product
from mesocare.inventory.services import alerts, stock

pytestmark = pytest.mark.django_db


def _receive(clinic: Any, numbers: range) -> None:
    product = Product.objects.get(organization__isnull=True, code="lidocaine_1pct")
    today = timezone.localdate()
    for n in numbers:
        stock.receive_stock(
            clinic.actor("admin"),
            product=product,
            location=clinic.location,
            lot_number=f"NEAR{n:02d}",
            expiry=today + dt.timedelta(days=1 + n),
            quantity_ml=Decimal(5),
        )


def test_the_stock_card_shows_the_ten_lots_expiring_first_with_the_same_queries(
    web: Callable[[str], Any], clinic: Any, django_assert_max_num_queries: Any
) -> None:
    client = web("admin")
    _receive(clinic, range(2))
    with CaptureQueriesContext(connection) as few:
        assert client.get("/").status_code == 200
    _receive(clinic, range(2, 25))
    with django_assert_max_num_queries(len(few)) as many:
        html = client.get("/").content.decode()
    shown = [f"NEAR{n:02d}" for n in range(25) if f"NEAR{n:02d}<" in html]
    assert shown == [f"NEAR{n:02d}" for n in range(10)]
    lots = [q["sql"] for q in many.captured_queries if 'FROM "inventory_productlot"' in q["sql"]]
    near = [sql for sql in lots if '"expiry" <=' in sql]
    assert len(near) == 1 and near[0].rstrip().endswith("LIMIT 10")  # ten rows read, not 25


def test_stock_alerts_keep_the_first_lots_near_expiry_when_limited(clinic: Any) -> None:
    _receive(clinic, range(6))
    today = timezone.localdate()
    every = alerts.stock_alerts(clinic.actor("admin"), today).near_expiry
    first = alerts.stock_alerts(clinic.actor("admin"), today, limit=3).near_expiry
    assert [a.lot_number for a in every] == [f"NEAR{n:02d}" for n in range(6)]
    assert first == every[:3]
