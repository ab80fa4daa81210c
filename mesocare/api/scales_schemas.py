from __future__ import annotations

from typing import Any

from ninja import Schema
from pydantic import Field


class AnchorOut(Schema):
    value: float = Field(description="the score level (for enumerated items, its rank)")
    code: str | None = Field(None, description="for enumerated items, the code to send")
    text: str


class ItemOut(Schema):
    key: str
    label: str
    min: float
    max: float
    step: float | None = Field(description="null: whole numbers only")
    choices: list[str] | None = Field(description="for enumerated items: send one of these")
    anchors: list[AnchorOut]


class BandOut(Schema):
    code: str
    label: str
    low: float
    high: float


class TotalRange(Schema):
    min: float
    max: float


class ScaleOut(Schema):
    id: str
    name: str
    version: str
    description: str
    citation: str
    higher_is_worse: bool
    total: TotalRange
    items: list[ItemOut]
    bands: list[BandOut]


class ScoreIn(Schema):
    items: dict[str, Any]


class ScoreOut(Schema):
    scale: str
    total: float
    band: str | None
