from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field


class UserRef(Schema):
    id: int
    name: str


class AssessmentIn(Schema):
    scale: str = Field(max_length=32, description="scale id, e.g. hexsel-css")
    items: dict[str, Any]
    assessed_at: dt.datetime | None = Field(None, description="default: now; not in the future")
    body_area: str = Field("", max_length=64)
    notes: str = Field("", max_length=5000)


class AssessmentOut(Schema):
    id: int
    patient: int
    scale: str
    scale_version: str
    items: dict[str, Any]
    total: float
    band: str | None
    body_area: str
    assessed_at: dt.datetime
    assessed_by: UserRef
    plan: int | None
    session_index: int | None
    notes: str
    created_at: dt.datetime
