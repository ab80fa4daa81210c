from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

MomentIn = Literal["booking", "check_in", "charting"]


class ProductLineIn(Schema):
    product: int
    lot: int | None = None
    volume_ml: Decimal | None = Field(
        None, ge=0, le=1000, max_digits=9, decimal_places=3, description="mL; omit if unknown"
    )
    points: int | None = Field(None, ge=1, le=10000)
    syringe: int | None = Field(None, ge=1, le=100)
    body_area: str | None = Field(None, max_length=64)


class CheckIn(Schema):
    patient: int
    moment: MomentIn
    date: dt.date | None = Field(None, description="treatment date; default: today at location")
    location: int | None = None
    protocol: int | None = Field(
        None, description="without products, the protocol's own products are checked"
    )
    assessment: int | None = Field(
        None, description="the baseline assessment the plan treats (label-population rule)"
    )
    products: list[ProductLineIn] = Field(default_factory=list, max_length=50)
    body_areas: list[str] = Field(default_factory=list, max_length=50)


class FindingOut(Schema):
    code: str
    severity: Literal["block", "warn"]
    message: str
    rule: str
    source: str
    overridable: bool
    context: dict[str, Any] = Field(default_factory=dict)


class CheckOut(Schema):
    check: int | None
    patient: int
    moment: str
    date: dt.date
    blocked: bool
    overridable: bool
    findings: list[FindingOut]
    created_at: dt.datetime | None = None


class OverrideIn(Schema):
    reason: str = Field(max_length=2000)


class OverrideOut(Schema):
    id: int
    check: int
    patient: int
    patient_name: str
    moment: str
    date: dt.date
    codes: list[str]
    findings: list[FindingOut]
    reason: str
    by: str
    role: str
    at: dt.datetime


class OverridePage(Schema):
    limit: int
    offset: int
    next_offset: int | None
    items: list[OverrideOut]


class RuleOut(Schema):
    code: str
    title: str
    source: str
    default_severity: Literal["block", "warn"]
    block_at: list[str]
    overridable: bool
    non_negotiable: bool
    clinic_severity: Literal["block"] | None
    effective: str


class RuleIn(Schema):
    severity: Literal["block", "warn"]
