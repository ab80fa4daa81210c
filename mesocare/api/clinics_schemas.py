from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import EmailStr, Field, field_validator, model_validator

from mesocare.api.inputs import LocalTime, Patch
from mesocare.clinics.choices import InvitationStatus, Role, RoomKind


class WeeklyInterval(Schema):
    weekday: int = Field(ge=0, le=6, description="0 = Monday … 6 = Sunday")
    opens: LocalTime
    closes: LocalTime

    @model_validator(mode="after")
    def _ordered(self) -> WeeklyInterval:
        if self.opens >= self.closes:
            raise ValueError("closes must be later than opens")
        return self


class LocationIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/Rome"])
    address: str = Field("", max_length=2000)
    phone: str = Field("", max_length=40)
    opening_hours: list[WeeklyInterval] | None = None


class LocationPatch(Patch):
    name: str | None = Field(None, min_length=1, max_length=200)
    timezone: str | None = Field(None, min_length=1, max_length=64)
    address: str | None = Field(None, max_length=2000)
    phone: str | None = Field(None, max_length=40)
    is_active: bool | None = None
    opening_hours: list[WeeklyInterval] | None = None


class LocationOut(Schema):
    id: int
    name: str
    timezone: str
    address: str
    phone: str
    is_active: bool
    opening_hours: list[WeeklyInterval]


class RoomIn(Schema):
    location: int
    name: str = Field(min_length=1, max_length=100)
    kind: RoomKind


class RoomPatch(Patch):
    name: str | None = Field(None, min_length=1, max_length=100)
    kind: RoomKind | None = None
    is_active: bool | None = None


class RoomOut(Schema):
    id: int
    location: int = Field(validation_alias="location_id")
    name: str
    kind: str
    is_active: bool


class StaffIn(Schema):
    """An invitation: the invitee chooses their own name and password when accepting."""

    email: EmailStr
    role: Role
    title: str = Field("", max_length=100)
    default_location: int | None = None

    @field_validator("email")
    @classmethod
    def _lower(cls, value: str) -> str:
        return value.lower()


class StaffPatch(Patch):
    nullable = frozenset({"default_location"})

    role: Role | None = None
    title: str | None = Field(None, max_length=100)
    is_active: bool | None = None
    default_location: int | None = None


class StaffOut(Schema):
    id: int
    email: str
    full_name: str
    role: str
    title: str
    is_active: bool
    default_location: int | None
    working_hours: list[WorkingHoursOut] = []


class InvitationOut(Schema):
    id: int
    email: str
    role: str
    title: str
    default_location: int | None
    status: InvitationStatus
    created_at: dt.datetime
    expires_at: dt.datetime


class Unlocked(Schema):
    failed_sign_ins_cleared: int


class WorkingHoursOut(Schema):
    location: int
    weekday: int
    opens: dt.time
    closes: dt.time


class WorkingHoursIn(Schema):
    location: int
    hours: list[WeeklyInterval]


class MeOut(Schema):
    id: int
    email: str
    full_name: str
    organization: OrganizationOut
    role: str
    permissions: list[str]
    memberships: list[MembershipBrief]


class OrganizationOut(Schema):
    id: int
    name: str
    slug: str


class MembershipBrief(Schema):
    organization: OrganizationOut
    role: str


StaffOut.model_rebuild()
MeOut.model_rebuild()
