"""The scheduling API, second part: time off (blocks), the waitlist and calendar feeds.

Appointments, availability and courses are in `mesocare/api/scheduling.py`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from ninja import Query, Router, Schema
from pydantic import Field

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.api.scheduling import (
    _audited_page,
    _fresh,
    _member,
    _page,
    _plan,
    _room,
)
from mesocare.api.scheduling_schemas import (
    AppointmentOut,
    BlockCreatedOut,
    BlockIn,
    BlockPage,
    FeedCreated,
    FeedIn,
    FeedOut,
    WaitlistIn,
    WaitlistOut,
    WaitlistPage,
)
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.patients.models import Patient
from mesocare.scheduling.choices import WaitlistStatus
from mesocare.scheduling.models import Block, CalendarFeed, WaitlistEntry
from mesocare.scheduling.services import blocks, feeds, waitlist

router = Router(tags=["scheduling"])


def block_out(b: Block) -> dict[str, Any]:
    """Times in UTC, as stored (a block has no location, hence no local time zone)."""
    return {
        "id": b.pk,
        "practitioner": b.practitioner_id,
        "room": b.room_id,
        "start": b.start.astimezone(dt.UTC),
        "end": b.end.astimezone(dt.UTC),
        "reason": b.reason,
    }


class BlockQuery(Schema):
    location: int | None = Field(
        None, description="blocks of its rooms and of the practitioners who work there"
    )
    practitioner: int | None = None
    room: int | None = None
    start_from: dt.datetime | None = Field(None, description="blocks that end after this")
    start_before: dt.datetime | None = Field(None, description="blocks that start before this")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


@router.get("/blocks", response={200: BlockPage, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def list_blocks(request: HttpRequest, params: Query[BlockQuery]) -> dict[str, Any]:
    """Time off of practitioners and rooms, by start (not patient data: no read audit)."""
    actor = actor_of(request)
    location = None
    if params.location is not None:
        location = get_for_org(Location, actor.org_id, params.location).pk
    qs = blocks.list_blocks(
        actor,
        location=location,
        practitioner=params.practitioner,
        room=params.room,
        start_from=params.start_from,
        start_before=params.start_before,
    )
    return _page(qs, params, block_out)[1]


@router.post("/blocks", response={201: BlockCreatedOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def create_block(request: HttpRequest, payload: BlockIn) -> tuple[int, Any]:
    """Make a practitioner and/or a room unavailable. Appointments already booked inside stay
    booked and come back as `affected_appointments`, for the desk to move."""
    actor = actor_of(request)
    actor.require(Perm.SCHEDULE_EDIT)
    created = blocks.create_block(
        actor,
        practitioner=_member(actor, payload.practitioner),
        room=None if payload.room is None else _room(actor, payload.room),
        start=payload.start,
        end=payload.end,
        reason=payload.reason,
    )
    return 201, {
        **block_out(created.block),
        "affected_appointments": [
            {
                "id": a.pk,
                "start": a.start.astimezone(dt.UTC),
                "end": a.end.astimezone(dt.UTC),
                "patient": a.patient_id,
            }
            for a in created.affected
        ],
    }


@router.delete("/blocks/{block_id}", response={204: None, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def delete_block(request: HttpRequest, block_id: int) -> tuple[int, None]:
    actor = actor_of(request)
    actor.require(Perm.SCHEDULE_EDIT)
    blocks.delete_block(actor, get_for_org(Block, actor.org_id, block_id))
    return 204, None


@router.post("/waitlist", response={201: WaitlistOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def add_to_waitlist(request: HttpRequest, payload: WaitlistIn) -> tuple[int, Any]:
    actor = actor_of(request)
    actor.require(Perm.SCHEDULE_EDIT)
    entry = waitlist.add_to_waitlist(
        actor,
        patient=get_for_org(Patient, actor.org_id, payload.patient),
        location=get_for_org(Location, actor.org_id, payload.location),
        earliest=payload.earliest,
        latest=payload.latest,
        practitioner=_member(actor, payload.practitioner),
        window=(payload.window.start, payload.window.end) if payload.window else None,
        duration_min=payload.duration_min,
        plan=None if payload.plan is None else _plan(actor, payload.plan),
        course_index=payload.course_index,
        notes=payload.notes,
    )
    return 201, waitlist.waitlist_payload(entry)


class WaitlistQuery(Schema):
    location: int | None = None
    status: WaitlistStatus | None = None
    patient: int | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


@router.get("/waitlist", response={200: WaitlistPage, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def list_waitlist(request: HttpRequest, params: Query[WaitlistQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    qs = waitlist.list_waitlist(
        actor, location=params.location, status=params.status, patient=params.patient
    )
    return _audited_page(
        actor, qs, params, "scheduling.waitlistentry", "waitlist entries", waitlist.waitlist_payload
    )


def _entry(actor: Actor, entry_id: int) -> WaitlistEntry:
    return get_for_org(
        WaitlistEntry,
        actor.org_id,
        entry_id,
        queryset=WaitlistEntry.objects.select_related(
            "patient", "plan", "offered_practitioner", "offered_room__location"
        ),
    )


@router.post("/waitlist/{entry_id}/accept", response={201: AppointmentOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def accept_offer(request: HttpRequest, entry_id: int) -> tuple[int, Any]:
    actor = actor_of(request)
    appointment = waitlist.accept_offer(actor, _entry(actor, entry_id))
    return 201, _fresh(actor, appointment.pk)


@router.post("/waitlist/{entry_id}/withdraw", response={200: WaitlistOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def withdraw(request: HttpRequest, entry_id: int) -> Any:
    """Leave the waitlist; an open offer goes to the next matching waiter."""
    actor = actor_of(request)
    return waitlist.waitlist_payload(waitlist.withdraw(actor, _entry(actor, entry_id)))


@router.post("/waitlist/{entry_id}/decline", response={200: WaitlistOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def decline_offer(request: HttpRequest, entry_id: int) -> Any:
    """Decline the offered slot but keep waiting; the slot goes to the next matching waiter."""
    actor = actor_of(request)
    return waitlist.waitlist_payload(waitlist.decline_offer(actor, _entry(actor, entry_id)))


def _feed_out(feed: CalendarFeed) -> dict[str, Any]:
    return {
        "id": feed.pk,
        "practitioner": feed.practitioner_id,
        "patient": feed.patient_id,
        "created_at": feed.created_at,
        "last_used_at": feed.last_used_at,
        "revoked_at": feed.revoked_at,
    }


@router.post("/calendar-feeds", response={201: FeedCreated, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def create_feed(request: HttpRequest, payload: FeedIn) -> tuple[int, Any]:
    """A feed URL for a calendar app; the token is shown once."""
    actor = actor_of(request)
    feed, token = feeds.create_feed(
        actor,
        practitioner=_member(actor, payload.practitioner),
        patient=None
        if payload.patient is None
        else get_for_org(Patient, actor.org_id, payload.patient),
    )
    url = request.build_absolute_uri(reverse("web:ical-feed", kwargs={"token": token}))
    return 201, {**_feed_out(feed), "token": token, "url": url}


@router.get("/calendar-feeds", response={200: list[FeedOut], **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def list_feeds(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    return [_feed_out(f) for f in feeds.list_feeds(actor)]


@router.delete("/calendar-feeds/{feed_id}", response={204: None, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def revoke_feed(request: HttpRequest, feed_id: int) -> tuple[int, None]:
    actor = actor_of(request)
    feeds.revoke_feed(actor, get_for_org(CalendarFeed, actor.org_id, feed_id))
    return 204, None
