from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field, model_validator

Ml = Field(gt=0, max_digits=10, decimal_places=3)


class LotIn(Schema):
    """Receive stock: either `product` + `lot_number` + `expiry`, or a scanned `gs1`
    string (lot and expiry read from it; product found by GTIN when not given)."""

    location: int
    quantity: Decimal = Field(gt=0, max_digits=10, decimal_places=3, description="mL")
    product: int | None = None
    lot_number: str | None = Field(None, min_length=1, max_length=20)
    expiry: dt.date | None = None
    gs1: str | None = Field(None, min_length=1, max_length=200)
    supplier: str = Field("", max_length=200)
    unit_cost: Decimal | None = Field(
        None, ge=0, max_digits=10, decimal_places=2, description="cost of one mL of the lot"
    )

    @model_validator(mode="after")
    def _one_way(self) -> LotIn:
        if self.gs1 is None:
            missing = [f for f in ("product", "lot_number", "expiry") if getattr(self, f) is None]
            if missing:
                raise ValueError(f"give {', '.join(missing)} (or a scanned gs1 string)")
        return self


class LotOut(Schema):
    id: int
    product: int
    product_name: str
    location: int
    location_name: str
    lot_number: str
    expiry: dt.date
    supplier: str
    gtin: str
    received_ml: Decimal
    unit_cost: Decimal | None
    on_hand: Decimal = Field(description="mL on hand = Σ stock movements")
    recalled: bool
    recalled_at: dt.datetime | None
    recall_reason: str


class LotQuery(Schema):
    product: int | None = None
    location: int | None = None
    include_empty: bool = True


class MovementIn(Schema):
    kind: Literal["waste", "adjust", "return"]
    quantity_ml: Decimal = Field(
        max_digits=10,
        decimal_places=3,
        description="mL; the amount for waste and return, signed (+/-) for adjust",
    )
    reason: str = Field(min_length=1, max_length=255)


class MovementOut(Schema):
    id: int
    lot: int
    kind: str
    quantity_ml: Decimal
    reason: str
    injection_component: int | None
    by: str
    at: dt.datetime


class LotDetail(LotOut):
    movements: list[MovementOut]


class RecallIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class RecipientOut(Schema):
    patient_id: int
    patient_name: str
    birth_date: dt.date
    phone: str
    email: str
    session_id: int
    session_at: dt.datetime
    signed: bool
    injection_n: int
    zone: str
    zone_name: str
    volume_ml: Decimal


class StockSettingIn(Schema):
    allow_negative: bool


class StockSettingOut(Schema):
    location: int
    allow_negative: bool


class LowStockOut(Schema):
    product_id: int
    product: str
    location_id: int
    location: str
    on_hand_ml: Decimal
    threshold_ml: Decimal


class NearExpiryOut(Schema):
    lot_id: int
    lot_number: str
    product: str
    location: str
    expiry: dt.date
    days_left: int
    on_hand_ml: Decimal
    expired: bool


class AlertsOut(Schema):
    low_stock: list[LowStockOut]
    near_expiry: list[NearExpiryOut]
