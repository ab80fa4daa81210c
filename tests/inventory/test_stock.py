"""Receiving, movements and the on-hand invariant (on hand = Σ movements)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal

import pytest

from mesocare.catalog.models import Product
from mesocare.errors import Conflict, Forbidden, Invalid
from mesocare.inventory.models import ProductLot, StockMovement
from mesocare.inventory.services import alerts, stock

EXPIRY = dt.date(2030, 1, 31)


def lidocaine() -> Product:
    return Product.objects.get(organization__isnull=True, code="lidocaine_1pct")


def receive(clinic, ml: str = "20", lot_number: str = "L1", **kw) -> ProductLot:  # type: ignore[no-untyped-def]
    return stock.receive_stock(
        clinic.actor(kw.pop("role", "admin")),
        product=kw.pop("product", None) or lidocaine(),
        location=clinic.location,
        lot_number=lot_number,
        expiry=kw.pop("expiry", EXPIRY),
        quantity_ml=Decimal(ml),
        **kw,
    )


def test_receiving_creates_a_lot_with_its_quantity_on_hand(clinic) -> None:  # type: ignore[no-untyped-def]
    lot = receive(clinic, "20")
    assert lot.on_hand_ml == Decimal(20) and lot.received_ml == Decimal(20)
    assert list(lot.movements.values_list("kind", "quantity_ml")) == [("receive", Decimal(20))]


def test_receiving_the_same_lot_again_adds_a_movement(clinic) -> None:  # type: ignore[no-untyped-def]
    receive(clinic, "20")
    lot = receive(clinic, "5")
    assert ProductLot.objects.count() == 1
    assert (lot.on_hand_ml, lot.received_ml) == (Decimal(25), Decimal(25))


def test_receiving_a_known_lot_with_another_expiry_is_refused(clinic) -> None:  # type: ignore[no-untyped-def]
    receive(clinic)
    with pytest.raises(Invalid) as exc:
        receive(clinic, expiry=dt.date(2031, 1, 1))
    assert exc.value.errors[0]["field"] == "expiry"


def test_wasting_more_than_on_hand_is_a_conflict(clinic) -> None:  # type: ignore[no-untyped-def]
    lot = receive(clinic, "2")
    with pytest.raises(Conflict) as exc:
        stock.record_movement(
            clinic.actor(), lot, kind="waste", quantity_ml=Decimal(3), reason="dropped"
        )
    assert exc.value.code == "insufficient_stock"
    lot.refresh_from_db()
    assert lot.on_hand_ml == Decimal(2)
    assert StockMovement.objects.count() == 1


def test_an_admin_may_allow_negative_stock_at_a_location(clinic) -> None:  # type: ignore[no-untyped-def]
    lot = receive(clinic, "2")
    with pytest.raises(Forbidden):
        stock.set_allow_negative(clinic.actor("practitioner"), clinic.location, True)
    stock.set_allow_negative(clinic.actor("admin"), clinic.location, True)
    stock.record_movement(clinic.actor(), lot, kind="adjust", quantity_ml=Decimal(-3), reason="c")
    lot.refresh_from_db()
    assert lot.on_hand_ml == Decimal(-1)


def test_auditors_cannot_move_stock(clinic) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        receive(clinic, role="auditor")


def test_on_hand_is_exactly_the_sum_of_movements_after_a_random_history(clinic) -> None:  # type: ignore[no-untyped-def]
    rng = random.Random(7)
    lots = [receive(clinic, "10", lot_number=f"L{i}") for i in range(3)]
    actor = clinic.actor()
    for _ in range(60):
        lot = rng.choice(lots)
        kind = rng.choice(["waste", "adjust", "return", "receive"])
        amount = Decimal(rng.randint(1, 400)) / 100
        try:
            if kind == "receive":
                receive(clinic, str(amount), lot_number=lot.lot_number)
            else:
                sign = rng.choice([1, -1]) if kind == "adjust" else 1
                stock.record_movement(
                    actor, lot, kind=kind, quantity_ml=sign * amount, reason="count"
                )
        except Conflict:
            pass
    assert stock.verify_on_hand(clinic.org.pk) == []
    sums = stock.on_hand_by_sum()
    for lot in ProductLot.objects.all():
        assert lot.on_hand_ml == sums[lot.pk] >= 0


def test_a_product_is_found_by_the_gtin_of_a_scan(clinic) -> None:  # type: ignore[no-untyped-def]
    product = lidocaine()
    product.gtin = "9501101530003"  # stored as GTIN-13
    product.save()
    lot = stock.receive_scanned(
        clinic.actor(),
        scan="(01)09501101530003(17)300100(10)AB-123",
        location=clinic.location,
        quantity_ml=Decimal(10),
    )
    assert (lot.product_id, lot.lot_number, lot.expiry) == (product.pk, "AB-123", EXPIRY)
    assert lot.gtin == "09501101530003"


def test_alerts_list_low_stock_and_lots_near_or_past_expiry(clinic) -> None:  # type: ignore[no-untyped-def]
    product = lidocaine()
    product.low_stock_ml = Decimal(15)
    product.save()
    today = dt.date(2029, 12, 20)
    receive(clinic, "10", lot_number="SOON", expiry=dt.date(2030, 1, 10))
    receive(clinic, "50", lot_number="GONE", expiry=dt.date(2029, 12, 1))
    receive(clinic, "3", lot_number="LATER", expiry=dt.date(2031, 1, 1))
    found = alerts.stock_alerts(clinic.actor("reception"), today)
    assert [(a.product_id, a.on_hand_ml) for a in found.low_stock] == [(product.pk, Decimal(13))]
    assert [(a.lot_number, a.days_left) for a in found.near_expiry] == [("GONE", -19), ("SOON", 21)]
    assert found.near_expiry[0].expired
