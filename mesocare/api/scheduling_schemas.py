from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field, model_validator

from mesocare.api.inputs import LocalTime
from mesocare.core.scheduling.durations import MAX_DURATION_MIN, MIN_DURATION_MIN
from mesocare.scheduling.choices import AppointmentStatus, WaitlistStatus


class WindowIn(Schema):
    start: LocalTime = Field(description="local time of day, e.g. 11:30")
    end: LocalTime = Field(description="local time of day, e.g. 14:30")

    @model_validator(mode="after")
    def _ordered(self) -> WindowIn:
        if not self.start < self.end:
            raise ValueError("the window must end after it starts")
        return self


class SlotOut(Schema):
    start: dt.datetime
    end: dt.datetime
    practitioner: int
    room: int | None


class AvailabilityOut(Schema):
    location: int
    timezone: str
    duration_min: int
    slots: list[SlotOut]


class ProposalsIn(Schema):
    location: int
    earliest: dt.date | dt.datetime = Field(
        description="first local date, or an instant with offset no session may precede"
    )
    practitioner: int | None = None
    same_practitioner: bool = True
    window: WindowIn | None = None
    alternatives: int = Field(3, ge=0, le=10)


class RestProposalsIn(Schema):
    location: int
    earliest: dt.date | dt.datetime | None = None
    practitioner: int | None = None
    same_practitioner: bool = True
    window: WindowIn | None = None
    alternatives: int = Field(3, ge=0, le=10)


class ProposedSessionOut(Schema):
    index: int
    start: dt.datetime
    end: dt.datetime
    practitioner: int
    room: int | None


class ProposalOut(Schema):
    sessions: list[ProposedSessionOut]
    deviation_days: int
    finish: dt.datetime


class RelaxationOut(Schema):
    constraint: str
    gap_max: int
    window: WindowIn | None
    same_practitioner: bool
    proposal: ProposalOut


class ProposalsOut(Schema):
    proposals: list[ProposalOut]
    infeasible_reason: str | None = None
    relaxation: RelaxationOut | None = None
    gap_reset: bool = False


class SessionIn(Schema):
    index: int = Field(ge=1)
    start: dt.datetime
    practitioner: int
    room: int


class BookIn(Schema):
    sessions: list[SessionIn] = Field(min_length=1, max_length=100)
    override_reason: str | None = Field(
        None, max_length=2000, description="proceed despite an overridable safety block"
    )


class AppointmentOut(Schema):
    id: int
    location: int
    timezone: str
    practitioner: int
    practitioner_name: str
    room: int
    room_name: str
    patient: int
    patient_name: str
    start: dt.datetime
    end: dt.datetime
    local_start: str
    local_end: str
    status: AppointmentStatus
    plan: int | None
    course_index: int | None
    planned_session: int | None
    notes: str
    cancel_reason: str
    created_at: dt.datetime
    updated_at: dt.datetime


class BookedOut(Schema):
    plan: int
    plan_status: str
    appointments: list[AppointmentOut]


class AppointmentPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[AppointmentOut]


class AppointmentIn(Schema):
    patient: int
    practitioner: int
    room: int
    start: dt.datetime
    duration_min: int | None = Field(None, ge=MIN_DURATION_MIN, le=MAX_DURATION_MIN)
    plan: int | None = None
    course_index: int | None = Field(None, ge=1)
    notes: str = Field("", max_length=5000)
    override_reason: str | None = Field(None, max_length=2000)


class AppointmentPatch(Schema):
    start: dt.datetime | None = None
    practitioner: int | None = None
    room: int | None = None
    notes: str | None = Field(None, max_length=5000)
    override_reason: str | None = Field(
        None, max_length=2000, description="move although the gap to the previous session breaks"
    )


class MovedOut(AppointmentOut):
    later_sessions_invalid: list[int] = []
    shift_offer: ProposalsOut | None = None


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=2000)


class CheckInIn(Schema):
    override_reason: str | None = Field(None, max_length=2000)
    # Why the patient is checked in on another day than the appointment's (409 without it).
    reason: str | None = Field(None, max_length=2000)


class WaitlistIn(Schema):
    patient: int
    location: int
    earliest: dt.date
    latest: dt.date | None = None
    practitioner: int | None = None
    window: WindowIn | None = None
    duration_min: int = Field(ge=MIN_DURATION_MIN, le=MAX_DURATION_MIN)
    plan: int | None = None
    course_index: int | None = Field(None, ge=1)
    notes: str = Field("", max_length=2000)


class WaitlistOfferOut(Schema):
    start: dt.datetime
    end: dt.datetime | None
    practitioner: int | None
    room: int | None
    freed_by: int | None
    at: dt.datetime | None


class WaitlistOut(Schema):
    id: int
    patient: int
    location: int
    practitioner: int | None
    plan: int | None
    course_index: int | None
    earliest: dt.date
    latest: dt.date | None
    window: WindowIn | None
    duration_min: int
    status: WaitlistStatus
    notes: str
    offer: WaitlistOfferOut | None
    offer_expires_at: dt.datetime | None = Field(
        None, description="until when the open offer stands; then it passes to the next waiter"
    )
    booked_appointment: int | None
    created_at: dt.datetime


class WaitlistPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[WaitlistOut]


class FeedIn(Schema):
    practitioner: int | None = None
    patient: int | None = None

    @model_validator(mode="after")
    def _one_owner(self) -> FeedIn:
        if (self.practitioner is None) == (self.patient is None):
            raise ValueError("give either a practitioner or a patient")
        return self


class FeedOut(Schema):
    id: int
    practitioner: int | None
    patient: int | None
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class FeedCreated(FeedOut):
    token: str
    url: str


class BlockIn(Schema):
    practitioner: int | None = None
    room: int | None = None
    start: dt.datetime = Field(description="with its UTC offset")
    end: dt.datetime = Field(description="with its UTC offset; at most 366 days after start")
    reason: str = Field("", max_length=200)


class BlockOut(Schema):
    id: int
    practitioner: int | None
    room: int | None
    start: dt.datetime
    end: dt.datetime
    reason: str


class AffectedAppointmentOut(Schema):
    id: int
    start: dt.datetime
    end: dt.datetime
    patient: int


class BlockCreatedOut(BlockOut):
    affected_appointments: list[AffectedAppointmentOut] = Field(
        description="active appointments inside the block, still booked: move or cancel them"
    )


class BlockPage(Schema):
    count: int
    limit: int
    offset: int
    items: list[BlockOut]
