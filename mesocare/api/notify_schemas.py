from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from mesocare.notify.choices import MessageKind, MessageStatus


class MessageQuery(Schema):
    patient: int | None = None
    status: MessageStatus | None = None
    kind: MessageKind | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


class MessageOut(Schema):
    id: int
    patient_id: int
    patient_name: str
    kind: str
    channel: str
    template: str
    status: str
    due_at: dt.datetime
    attempts: int
    max_attempts: int
    last_error: str
    next_attempt_at: dt.datetime | None
    last_attempt_at: dt.datetime | None
    sent_at: dt.datetime | None
    idempotency_key: str
    appointment_ref: int | None
    plan_ref: int | None
    session_ref: int | None
    created_at: dt.datetime


class MessagePage(Schema):
    count: int
    limit: int
    offset: int
    items: list[MessageOut]


class AlertOut(Schema):
    id: int
    patient_id: int | None
    kind: str
    severity: str
    message: str
    details: dict[str, object]
    created_at: dt.datetime
    acknowledged_at: dt.datetime | None
