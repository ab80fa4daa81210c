from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field

from mesocare.outcomes.choices import Landmark, MeasurementKind


class MeasurementIn(Schema):
    kind: MeasurementKind
    value: Decimal = Field(gt=0, max_digits=7, decimal_places=2)
    measured_on: dt.date
    landmark: Landmark | None = None
    distance_cm: Decimal | None = Field(None, ge=0, max_digits=5, decimal_places=1)
    session: int | None = None
    notes: str = Field("", max_length=255)


class MeasurementOut(Schema):
    id: int
    patient_id: int
    kind: str
    landmark: str
    distance_cm: Decimal | None
    value: Decimal
    unit: str
    measured_on: dt.date
    session_id: int | None
    notes: str
    created_at: dt.datetime


class PhotoOut(Schema):
    id: int
    patient_id: int
    body_zone: str
    view: str
    session_id: int | None
    consent_scope: str
    source: str
    taken_at: dt.datetime
    width: int
    height: int
    size_bytes: int
    content_type: str
    sha256: str
    file_url: str
    thumbnail_url: str


class ProgressOut(Schema):
    plan_id: int
    patient_id: int
    protocol: str
    status: str
    scale: str
    sessions_planned: int
    response_check_session: int
    scales: list[dict[str, Any]]
    measurements: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    gais: list[dict[str, Any]]


class ReportQuery(Schema):
    protocol: int | None = None
    from_: dt.date | None = Field(None, alias="from")
    to: dt.date | None = None


class SideEffectRate(Schema):
    kind: str
    grade: int
    events: int
    per_100_sessions: float | None


class ProtocolOutcomeOut(Schema):
    protocol_id: int
    protocol: str
    scale: str
    started: int
    active: int
    completed: int
    stopped: int
    with_change: int
    mean_baseline: float | None
    mean_final: float | None
    mean_change: float | None
    change_ci_low: float | None
    change_ci_high: float | None
    response_check_session: int | None
    responders: int
    response_evaluable: int
    responder_rate: float | None
    median_sessions: float | None
    sessions: int
    side_effects: list[SideEffectRate]


class OutcomesReportOut(Schema):
    date_from: dt.date | None
    date_to: dt.date | None
    protocols: list[ProtocolOutcomeOut]
