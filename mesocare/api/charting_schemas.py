from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, Literal

from ninja import Schema
from pydantic import Field

from mesocare.api.inputs import Patch
from mesocare.catalog.choices import Technique
from mesocare.charting.choices import NeedleKind, SideEffectKind, SideEffectSource


class WalkInIn(Schema):
    patient: int
    location: int
    protocol: int | None = None
    practitioner: int | None = Field(None, description="membership id; default: you")


class SessionPatch(Patch):
    nullable = frozenset({"pain_vas"})

    pain_vas: Decimal | None = Field(None, ge=0, le=10, max_digits=3, decimal_places=1)
    notes: str | None = Field(None, max_length=20000)
    started_at: dt.datetime | None = None


class NeedleIn(Schema):
    kind: NeedleKind = NeedleKind.NEEDLE
    gauge: int | None = Field(None, ge=14, le=34)
    length_mm: Decimal | None = Field(None, gt=0, max_digits=4, decimal_places=1)


class ComponentIn(Schema):
    lot: int
    volume_ml: Decimal = Field(gt=0, max_digits=7, decimal_places=3)


class InjectionIn(Schema):
    zone: str = Field(min_length=1, max_length=64, description="catalog zone code")
    technique: Technique
    depth_mm: Decimal = Field(ge=0, le=50, max_digits=4, decimal_places=1)
    points: int = Field(ge=1, le=10000)
    volume_per_point_ml: Decimal | None = Field(None, gt=0, max_digits=6, decimal_places=3)
    total_volume_ml: Decimal = Field(gt=0, max_digits=7, decimal_places=3)
    needle: NeedleIn | None = None
    components: list[ComponentIn] = Field(min_length=1, max_length=10)
    out_of_range_reason: str = Field("", max_length=2000)
    override_reason: str | None = Field(None, max_length=2000)


class ComponentOut(Schema):
    id: int
    lot: int
    lot_number: str
    expiry: dt.date
    product: int
    product_name: str
    volume_ml: Decimal


class InjectionOut(Schema):
    n: int
    zone: str
    zone_name: str
    technique: str
    depth_mm: Decimal
    points: int
    volume_per_point_ml: Decimal | None
    total_volume_ml: Decimal
    needle_kind: str
    needle_gauge: int | None
    needle_length_mm: Decimal | None
    out_of_range_reason: str
    safety_override_reason: str
    safety_findings: list[dict[str, Any]]
    components: list[ComponentOut]
    amended: dict[str, Any] = Field(description="field → value after amendments")
    created_at: dt.datetime


class TotalsOut(Schema):
    injections: int
    points: int
    total_volume_ml: Decimal
    lidocaine_mg: Decimal
    lidocaine_limit_mg: Decimal
    lidocaine_limit_basis: str
    lidocaine_with_epinephrine: bool
    deoxycholic_ml: Decimal
    deoxycholic_mg: Decimal
    deoxycholic_limit_mg: Decimal
    deoxycholic_limit_ml: Decimal
    weight_kg: Decimal | None


class InjectionCharted(InjectionOut):
    session_totals: TotalsOut


class SideEffectIn(Schema):
    kind: SideEffectKind
    grade: int = Field(ge=1, le=5, description="CTCAE-style 1 mild … 5 death")
    onset: dt.datetime | None = None
    action_taken: str = Field("", max_length=5000)
    source: SideEffectSource = SideEffectSource.STAFF
    notes: str = Field("", max_length=5000)


class SideEffectOut(Schema):
    id: int
    kind: str
    grade: int
    onset: dt.datetime
    action_taken: str
    source: str
    notes: str
    recorded_after_signing: bool
    recorded_at: dt.datetime
    amended: dict[str, Any]


class ChangeIn(Schema):
    target: Literal["session", "injection", "side_effect"]
    n: int | None = Field(None, description="injection number, or side effect id")
    field: str = Field(max_length=40)
    value: Any = None


class AmendmentIn(Schema):
    reason: str = Field(min_length=1, max_length=5000)
    changes: list[ChangeIn] = Field(default_factory=list, max_length=50)


class DiscardIn(Schema):
    reason: str | None = Field(None, max_length=2000)


class AmendmentOut(Schema):
    id: int
    by: str
    at: dt.datetime
    reason: str
    changes: list[dict[str, Any]]


class Ref(Schema):
    id: int
    name: str


class SessionProtocolRef(Ref):
    version: int | None


class SessionOut(Schema):
    id: int
    patient: Ref
    practitioner: Ref
    location: Ref
    appointment: int | None
    planned_session: int | None
    protocol: SessionProtocolRef | None
    started_at: dt.datetime
    signed_at: dt.datetime | None
    signed_by: str | None
    pain_vas: Decimal | None
    notes: str
    amended: dict[str, Any]
    injections: list[InjectionOut]
    side_effects: list[SideEffectOut]
    amendments: list[AmendmentOut]
    totals: TotalsOut


class SessionListItem(Schema):
    id: int
    started_at: dt.datetime
    signed_at: dt.datetime | None
    practitioner: str
    location: str
    protocol: str | None
    injection_count: int
    volume_ml: Decimal | None


class SuggestionOut(Schema):
    source: str
    from_session: int | None
    zone: str
    technique: str
    depth_mm: str
    points: int | None
    volume_per_point_ml: str
    total_volume_ml: str
    needle_kind: str
    needle_gauge: int | None
    needle_length_mm: str
    components: list[dict[str, Any]]
