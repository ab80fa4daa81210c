from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema
from pydantic import ConfigDict, Field

from mesocare.catalog.choices import EvidenceLevel, ProductRole, Technique
from mesocare.clinics.choices import RoomKind
from mesocare.core.scheduling.durations import MAX_DURATION_MIN, MIN_DURATION_MIN


class Citation(Schema):
    text: str
    url: str | None = None


class IndicationRef(Schema):
    id: int
    code: str
    name: str


class ProtocolRef(Schema):
    id: int
    code: str
    name: str
    is_default: bool
    evidence_level: str
    version: int


class IndicationOut(Schema):
    id: int
    code: str
    name: str
    description: str
    body_areas: list[str]
    default_room_kind: str
    protocols: list[ProtocolRef]
    citations: list[Citation] = Field(
        description="Sources behind the indication: the citations of its curated protocols."
    )


class DecimalRange(Schema):
    min: Decimal
    max: Decimal


class IntervalDays(Schema):
    min: int = Field(ge=1, le=3650)
    target: int = Field(ge=1, le=3650)
    max: int = Field(ge=1, le=3650)


class InstructionSetOut(Schema):
    code: str
    kind: str
    name: str
    items: list[dict[str, object]]
    citations: list[Citation]


class ProtocolProductOut(Schema):
    product: int
    code: str
    name: str
    role: str


class ProtocolOut(Schema):
    id: int
    code: str
    name: str
    indication: IndicationRef
    is_default: bool = Field(description="Curated default: read-only; copy it to edit.")
    copied_from: int | None
    version: int
    is_active: bool
    technique: str
    depth_mm: DecimalRange
    volume_per_point_ml: DecimalRange
    volume_per_session_ml: DecimalRange
    products: list[ProtocolProductOut]
    scale: str | None = Field(description="Scale id; null when the protocol grades none.")
    sessions_by_band: dict[str, int] = Field(
        description="Sessions per baseline band; 'any' applies to every treatable baseline."
    )
    interval_days: IntervalDays
    response_check_session: int
    responder_min_improvement: Decimal | None
    target_band: str | None
    maintenance_interval_days: int | None
    session_duration_min: int
    room_kind: str
    pre_care: InstructionSetOut | None
    aftercare: InstructionSetOut | None
    evidence_level: str
    notes: str
    citations: list[Citation]
    updated_at: dt.datetime


class ProtocolProductIn(Schema):
    product: int
    role: ProductRole = ProductRole.ACTIVE


class ProtocolChanges(Schema):
    """Fields to change; leave out what stays. ``reason`` is kept with the new version."""

    model_config = ConfigDict(extra="forbid")

    code: str | None = Field(None, min_length=1, max_length=80, pattern=r"^[-a-zA-Z0-9_]+$")
    name: str | None = Field(None, min_length=1, max_length=200)
    technique: Technique | None = None
    depth_mm: DecimalRange | None = None
    volume_per_point_ml: DecimalRange | None = None
    volume_per_session_ml: DecimalRange | None = None
    products: list[ProtocolProductIn] | None = None
    scale: str | None = Field(None, max_length=32)
    sessions_by_band: dict[str, int] | None = None
    interval_days: IntervalDays | None = None
    response_check_session: int | None = Field(None, ge=1, le=30)
    responder_min_improvement: Decimal | None = Field(None, gt=0, max_digits=6, decimal_places=2)
    target_band: str | None = Field(None, max_length=32)
    maintenance_interval_days: int | None = Field(None, ge=1, le=3650)
    session_duration_min: int | None = Field(None, ge=MIN_DURATION_MIN, le=MAX_DURATION_MIN)
    room_kind: RoomKind | None = None
    pre_care: str | None = Field(None, description="Instruction set code")
    aftercare: str | None = Field(None, description="Instruction set code")
    evidence_level: EvidenceLevel | None = None
    notes: str | None = Field(None, max_length=10000)
    citations: list[Citation] | None = None
    is_active: bool | None = None
    reason: str = Field("", max_length=255, description="Why; stored with the new version.")


class ProtocolCopyIn(ProtocolChanges):
    copy_of: int = Field(description="Id of the protocol (a default or your own) to copy.")


class ProtocolVersionOut(Schema):
    version: int
    created_at: dt.datetime
    created_by: str | None
    reason: str
    snapshot: dict[str, object]


class AllergenFamilyOut(Schema):
    code: str
    name: str


class IngredientRef(Schema):
    id: int
    code: str
    name: str


class ProductComponentOut(Schema):
    ingredient: IngredientRef
    concentration: Decimal
    unit: str
    mg_per_ml: Decimal | None


class ProductOut(Schema):
    id: int
    code: str
    name: str
    is_default: bool
    form: str
    vial: str
    contains_epinephrine: bool
    lipolytic: bool
    ingredients: list[ProductComponentOut]
    incompatible_with: list[int]
    min_interval_days: int | None
    min_interval_months: int | None
    max_volume_ml_per_session: Decimal | None
    max_volume_ml_per_point: Decimal | None
    max_sessions_per_area: int | None
    notes: str
    citations: list[Citation]


class ProductRef(Schema):
    id: int
    code: str
    name: str


class IngredientOut(Schema):
    id: int
    code: str
    name: str
    synonyms: list[str]
    kind: str
    lipolytic: bool
    allergen_families: list[AllergenFamilyOut]
    products: list[ProductRef]
    citations: list[Citation] = Field(
        description="Sources behind the ingredient: the citations of the products containing it."
    )
