"""Stock alerts for the dashboard: low stock per product and location (threshold
`Product.low_stock_ml`) and lots near or past expiry (≤ 30 days) that still hold stock."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q, Sum

from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.inventory.models import ProductLot

NEAR_EXPIRY_DAYS = 30


@dataclass(frozen=True)
class LowStock:
    product_id: int
    product: str
    location_id: int
    location: str
    on_hand_ml: Decimal
    threshold_ml: Decimal


@dataclass(frozen=True)
class NearExpiry:
    lot_id: int
    lot_number: str
    product: str
    location: str
    expiry: dt.date
    days_left: int
    on_hand_ml: Decimal

    @property
    def expired(self) -> bool:
        return self.days_left < 0


@dataclass(frozen=True)
class StockAlerts:
    low_stock: list[LowStock]
    near_expiry: list[NearExpiry]


def stock_alerts(
    actor: Actor,
    today: dt.date,
    *,
    days: int = NEAR_EXPIRY_DAYS,
    location: int | None = None,
    limit: int | None = None,
) -> StockAlerts:
    """Two queries. Usable stock excludes recalled and expired lots. `limit` keeps the first
    lots near expiry only (the dashboard card shows ten of a chain's thousands)."""
    actor.require(Perm.STOCK_VIEW)
    lots = ProductLot.objects.for_org(actor.org_id)
    if location is not None:
        lots = lots.filter(location_id=location)
    usable = (
        lots.filter(product__low_stock_ml__isnull=False)
        .values(
            "product_id", "product__name", "location_id", "location__name", "product__low_stock_ml"
        )
        .annotate(
            usable=Sum("on_hand_ml", filter=Q(recalled=False, expiry__gte=today)),
        )
        .order_by("product__name", "location__name")
    )
    low = [
        LowStock(  # the query keeps products with a threshold only
            product_id=row["product_id"],
            product=row["product__name"],
            location_id=row["location_id"],
            location=row["location__name"],
            on_hand_ml=row["usable"] or Decimal(0),
            threshold_ml=Decimal(row["product__low_stock_ml"] or 0),
        )
        for row in usable
        if (row["usable"] or Decimal(0)) < Decimal(row["product__low_stock_ml"] or 0)
    ]
    near = [
        NearExpiry(
            lot_id=lot.pk,
            lot_number=lot.lot_number,
            product=lot.product.name,
            location=lot.location.name,
            expiry=lot.expiry,
            days_left=(lot.expiry - today).days,
            on_hand_ml=lot.on_hand_ml,
        )
        for lot in lots.filter(
            recalled=False, on_hand_ml__gt=0, expiry__lte=today + dt.timedelta(days=days)
        )
        .select_related("product", "location")
        .order_by("expiry", "lot_number")[:limit]
    ]
    return StockAlerts(low, near)
