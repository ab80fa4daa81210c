"""Stock under concurrent charting on PostgreSQL: no lost update, no overdraw, and on hand
stays exactly the sum of movements. (SQLite serializes writers, so the race needs a
real server; skipped there.)"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection

from mesocare.charting.models import CocktailComponent
from mesocare.charting.services import injections
from mesocare.errors import Conflict
from mesocare.inventory.models import ProductLot, StockMovement
from mesocare.inventory.services import stock

pytestmark = pytest.mark.django_db(transaction=True)

THREADS = 8
PER_THREAD = 5


def _chart_in_parallel(chart: Any, lot: ProductLot, ml: Decimal) -> Counter[str]:
    actor = chart.clinic.actor("practitioner")
    sessions = [
        chart.session(patient=chart.patient(f"T{i}", dt.date(1980, 1, 1 + i)))
        for i in range(THREADS)
    ]
    outcomes: Counter[str] = Counter()
    guard = threading.Lock()
    barrier = threading.Barrier(THREADS)

    def work(session: Any) -> None:
        try:
            barrier.wait()
            for _ in range(PER_THREAD):
                data = injections.InjectionIn(
                    zone="abdomen_ul",
                    technique="nappage",
                    depth_mm=Decimal(2),
                    points=10,
                    total_volume_ml=ml,
                    components=(injections.ComponentIn(lot.pk, ml),),
                )
                try:
                    injections.chart_injection(actor, session, data)
                    outcome = "charted"
                except Conflict as exc:
                    outcome = exc.code
                with guard:
                    outcomes[outcome] += 1
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(s,)) for s in sessions]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes


@pytest.fixture
def postgres_only() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serializes every writer")


def test_concurrent_charting_loses_no_update(postgres_only: None, chart: Any) -> None:
    lot = chart.lot("caffeine_20", "RACE-BIG", "500")
    outcomes = _chart_in_parallel(chart, lot, Decimal("1.5"))
    assert outcomes == {"charted": THREADS * PER_THREAD}
    lot.refresh_from_db()
    assert lot.on_hand_ml == Decimal(500) - Decimal("1.5") * THREADS * PER_THREAD
    assert stock.on_hand_by_sum([lot.pk])[lot.pk] == lot.on_hand_ml
    assert stock.verify_on_hand() == []


def test_concurrent_charting_never_overdraws_a_lot(postgres_only: None, chart: Any) -> None:
    lot = chart.lot("caffeine_20", "RACE-LAST", "30")
    outcomes = _chart_in_parallel(chart, lot, Decimal(1))
    assert outcomes == {"charted": 30, "insufficient_stock": THREADS * PER_THREAD - 30}
    lot.refresh_from_db()
    assert lot.on_hand_ml == 0
    assert StockMovement.objects.filter(lot=lot, kind="use").count() == 30
    assert CocktailComponent.objects.filter(lot=lot).count() == 30
    assert stock.verify_on_hand() == []
