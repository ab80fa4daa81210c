from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import ConfigDict, Field

from mesocare.api.assessments_schemas import AssessmentOut, UserRef


class PlanIn(Schema):
    model_config = ConfigDict(extra="forbid")

    protocol: int
    baseline_assessment: int | None = Field(
        None, description="required unless the protocol grades no scale"
    )
    start_on: dt.date | None = Field(None, description="dates the session windows when given")
    sessions: int | None = Field(None, description="change the protocol's count (with a reason)")
    sessions_reason: str = Field("", max_length=2000)
    override_reason: str | None = Field(
        None, max_length=2000, description="override an overridable safety block, with reason"
    )


class IntervalOut(Schema):
    min: int
    target: int
    max: int


class PlannedSessionOut(Schema):
    index: int
    earliest: dt.date | None
    target: dt.date | None
    latest: dt.date | None


class PlanProtocolOut(Schema):
    id: int
    code: str
    name: str
    version: int = Field(description="the protocol version this plan was made from")
    scale: str | None


class BaselineOut(Schema):
    id: int
    scale: str
    total: float
    band: str | None
    assessed_at: dt.datetime


class ReviewStateOut(Schema):
    outcome: str
    reason: str
    at: dt.datetime | None
    assessment: int | None


class PlanEventOut(Schema):
    kind: str
    from_status: str
    to_status: str
    outcome: str
    reason: str
    at: dt.datetime
    by: UserRef


class PlanOut(Schema):
    id: int
    patient: int
    protocol: PlanProtocolOut
    baseline_assessment: BaselineOut | None
    status: str
    sessions_planned: int
    sessions_by_rule: int
    sessions_reason: str
    sessions_done: int
    sessions_remaining: int
    interval_days: IntervalOut
    response_check_session: int
    maintenance_interval_days: int | None
    session_duration_min: int
    room_kind: str
    start_on: dt.date | None
    planned_sessions: list[PlannedSessionOut]
    review: ReviewStateOut | None
    completed_on: dt.date | None
    maintenance_due_on: dt.date | None
    status_changed_at: dt.datetime | None
    status_changed_by: UserRef | None
    status_reason: str
    created_by: UserRef
    created_at: dt.datetime
    history: list[PlanEventOut]


class ReviewIn(Schema):
    model_config = ConfigDict(extra="forbid")

    assessment: int | None = Field(None, description="an assessment already recorded")
    scale: str | None = Field(None, max_length=32, description="or score a new one: its scale")
    items: dict[str, Any] | None = Field(None, description="… and its items")
    assessed_at: dt.datetime | None = None
    body_area: str = Field("", max_length=64)
    sessions_done: int | None = Field(
        None,
        ge=0,
        description=(
            "sessions done so far; default: assessments linked to the plan after the baseline, "
            "this one included (scheduling will supply completed appointments later)"
        ),
    )


class ReviewOut(Schema):
    plan: int
    outcome: str = Field(description="responding | review_needed | complete | too_early")
    proposal: str = Field(description="continue | stop_or_switch | complete")
    reason: str
    status: str
    improvement: float
    improvement_pct: float | None
    responding: bool
    target_reached: bool
    baseline: BaselineOut
    assessment: AssessmentOut
    current_band: str | None
    sessions_done: int
    sessions_planned: int
    proposed_maintenance_on: dt.date | None


class StatusChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=2000, description="required to stop")
    on: dt.date | None = Field(None, description="completion date (complete only; default today)")
