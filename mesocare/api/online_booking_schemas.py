from __future__ import annotations

import datetime as dt

from ninja import Field, Schema


class OnlineServiceOut(Schema):
    id: int
    name: str
    kind: str
    protocol: int | None
    description: str
    bookable_online: bool
    duration_min: int
    price_text: str
    lead_time_hours: int
    cutoff_hours: int = Field(
        description="hours before the start until which online changes are allowed"
    )
    booking_horizon_days: int
    room_kind: str
    policy_text: str = Field(description="the service's policy text, else the organization's")


class OnlineServicesOut(Schema):
    enabled: bool
    public_url: str
    services: list[OnlineServiceOut]


class OnlineSlotsQuery(Schema):
    service: int
    location: int
    date_from: dt.date
    date_to: dt.date


class OnlineSlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    local_start: str
    practitioner: int
    room: int


class OnlineSlotsOut(Schema):
    service: int
    location: int
    timezone: str
    slots: list[OnlineSlotOut]
