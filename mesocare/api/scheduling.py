"""Scheduling over the API: availability, course proposals and booking, appointments, time
off (blocks), the waitlist and iCalendar feeds (the feed itself is served at
/ical/<token>.ics by the web app)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.api.scheduling_schemas import (
    AppointmentIn,
    AppointmentOut,
    AppointmentPage,
    AppointmentPatch,
    AvailabilityOut,
    BookedOut,
    BookIn,
    CancelIn,
    CheckInIn,
    MovedOut,
    ProposalsIn,
    ProposalsOut,
    RestProposalsIn,
)
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record, record_list_read
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import OrgLookup, get_for_org
from mesocare.core.scheduling.durations import MAX_DURATION_MIN, MIN_DURATION_MIN
from mesocare.errors import Invalid
from mesocare.patients.models import Patient
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import appointments as appts
from mesocare.scheduling.services import courses
from mesocare.scheduling.services.calendars import available_slots, local_midnight

router = Router(tags=["scheduling"])
MAX_AVAILABILITY_DAYS = 62


def parse_window(value: str | None) -> tuple[dt.time, dt.time] | None:
    """``"11:30-14:30"`` → (11:30, 14:30)."""
    if not value:
        return None
    try:
        start, end = (dt.time.fromisoformat(part.strip()) for part in value.split("-", 1))
    except ValueError:
        raise Invalid.field("window", "Give the window as HH:MM-HH:MM, e.g. 11:30-14:30.") from None
    if start.tzinfo is not None or end.tzinfo is not None:
        raise Invalid.field("window", "Give local times of day, without a UTC offset.")
    if not start < end:
        raise Invalid.field("window", "The window must end after it starts.")
    return start, end


def appointment_out(a: Appointment) -> dict[str, Any]:
    tz = a.location.tz
    return {
        "id": a.pk,
        "location": a.location_id,
        "timezone": a.location.timezone,
        "practitioner": a.practitioner_id,
        "practitioner_name": a.practitioner.user.full_name or a.practitioner.user.email,
        "room": a.room_id,
        "room_name": a.room.name,
        "patient": a.patient_id,
        "patient_name": a.patient.full_name,
        # in UTC, as the database gives them back (a booking answers from memory)
        "start": a.start.astimezone(dt.UTC),
        "end": a.end.astimezone(dt.UTC),
        "local_start": a.start.astimezone(tz).isoformat(),
        "local_end": a.end.astimezone(tz).isoformat(),
        "status": a.status,
        "plan": a.plan_id,
        "course_index": a.course_index,
        "planned_session": a.planned_session_id,
        "notes": a.notes,
        "cancel_reason": a.cancel_reason,
        "created_at": a.created_at,
        "updated_at": a.updated_at,
    }


def proposals_out(options: courses.CourseOptions) -> dict[str, Any]:
    def proposal(p: courses.CourseProposal) -> dict[str, Any]:
        return {
            "sessions": [
                {
                    "index": s.index,
                    "start": s.start,
                    "end": s.end,
                    "practitioner": s.practitioner_id,
                    "room": s.room_id,
                }
                for s in p.sessions
            ],
            "deviation_days": p.deviation_days,
            "finish": p.finish,
        }

    out: dict[str, Any] = {
        "proposals": [proposal(p) for p in options.proposals],
        "gap_reset": options.gap_reset,
    }
    if options.infeasible_reason:
        out["infeasible_reason"] = options.infeasible_reason
    if options.relaxation:
        out["relaxation"] = {
            **options.relaxation,
            "proposal": proposal(options.relaxation["proposal"]),
        }
    return out


def _plan(actor: Actor, plan_id: int) -> TreatmentPlan:
    actor.require(Perm.SCHEDULE_VIEW)
    return get_for_org(
        TreatmentPlan,
        actor.org_id,
        plan_id,
        queryset=TreatmentPlan.objects.select_related("patient", "protocol"),
    )


_MEMBER = OrgLookup(Membership, "user")
_ROOM = OrgLookup(Room, "location")
_PATIENT = OrgLookup(Patient, "organization")  # the outbox's messages name the clinic


def _member(actor: Actor, pk: int | None) -> Membership | None:
    if pk is None:
        return None
    return _MEMBER(actor.org_id, pk)


def _room(actor: Actor, pk: int) -> Room:
    return _ROOM(actor.org_id, pk)


def _appointment(actor: Actor, pk: int) -> Appointment:
    return appts.get_appointment(actor, pk, audit=False)


def _fresh(actor: Actor, pk: int) -> dict[str, Any]:
    return appointment_out(appts.appointment_queryset(actor).get(pk=pk))


class AvailabilityQuery(Schema):
    location: int
    date_from: dt.date
    date_to: dt.date
    duration_min: int = Field(ge=MIN_DURATION_MIN, le=MAX_DURATION_MIN)
    practitioner: int | None = None
    window: str | None = Field(None, description="local time-of-day window, e.g. 11:30-14:30")
    room_kind: str | None = None
    patient: int | None = Field(None, description="leave out times this patient is busy")


@router.get("/availability", response={200: AvailabilityOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def availability(request: HttpRequest, params: Query[AvailabilityQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    actor.require(Perm.SCHEDULE_VIEW)
    location = get_for_org(Location, actor.org_id, params.location)
    if params.date_to < params.date_from:
        raise Invalid.field("date_to", "Must not be before date_from.")
    if (params.date_to - params.date_from).days >= MAX_AVAILABILITY_DAYS:
        raise Invalid.field("date_to", f"Ask for at most {MAX_AVAILABILITY_DAYS} days at once.")
    patient = (
        None if params.patient is None else get_for_org(Patient, actor.org_id, params.patient).pk
    )
    slots = available_slots(
        actor.org_id,
        location,
        params.date_from,
        params.date_to,
        params.duration_min,
        window=parse_window(params.window),
        practitioner=_member(actor, params.practitioner),
        room_kind=params.room_kind,
        patient_id=patient,
    )
    return {
        "location": location.pk,
        "timezone": location.timezone,
        "duration_min": params.duration_min,
        "slots": [
            {
                "start": s.start,
                "end": s.end,
                "practitioner": int(s.practitioner_id),
                "room": None if s.room_id is None else int(s.room_id),
            }
            for s in slots
        ],
    }


def _proposals(
    request: HttpRequest,
    plan_id: int,
    payload: ProposalsIn | RestProposalsIn,
    propose: Any,
    summary: str,
) -> dict[str, Any]:
    actor = actor_of(request)
    plan = _plan(actor, plan_id)
    location = get_for_org(Location, actor.org_id, payload.location)
    options = propose(
        actor,
        plan,
        location,
        payload.earliest,
        practitioner=_member(actor, payload.practitioner),
        same_practitioner=payload.same_practitioner,
        window=(payload.window.start, payload.window.end) if payload.window else None,
        alternatives=payload.alternatives,
    )
    record(
        actor, AuditAction.READ, plan, patient_id=plan.patient_id, summary=summary, channel="api"
    )
    return proposals_out(options)


@router.post("/plans/{plan_id}/course-proposals", response={200: ProposalsOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def course_proposals(request: HttpRequest, plan_id: int, payload: ProposalsIn) -> dict[str, Any]:
    return _proposals(request, plan_id, payload, courses.propose_course, "course proposals")


@router.post("/plans/{plan_id}/rest-proposals", response={200: ProposalsOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def rest_proposals(request: HttpRequest, plan_id: int, payload: RestProposalsIn) -> dict[str, Any]:
    """Re-plan the sessions after the last one held (e.g. after a missed or cancelled one);
    apply a proposal with `POST /plans/{id}/reschedule`."""
    return _proposals(request, plan_id, payload, courses.propose_rest, "rest-of-course proposals")


def _choices(actor: Actor, payload: BookIn) -> list[courses.SessionChoice]:
    members: dict[int, Membership] = {}
    rooms: dict[int, Room] = {}
    out = []
    for s in payload.sessions:
        if s.practitioner not in members:
            member = _member(actor, s.practitioner)
            assert member is not None
            members[s.practitioner] = member
        if s.room not in rooms:
            rooms[s.room] = _room(actor, s.room)
        out.append(courses.SessionChoice(s.index, s.start, members[s.practitioner], rooms[s.room]))
    return out


def _booked(actor: Actor, plan: TreatmentPlan, written: list[Appointment]) -> dict[str, Any]:
    rows = appts.appointment_queryset(actor).filter(pk__in=[a.pk for a in written])
    return {
        "plan": plan.pk,
        "plan_status": plan.status,
        "appointments": [appointment_out(a) for a in rows.order_by("course_index", "start")],
    }


@router.post("/plans/{plan_id}/book", response={201: BookedOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def book_course(request: HttpRequest, plan_id: int, payload: BookIn) -> tuple[int, Any]:
    """Book every session or none: 409 `booking_conflict` with `conflicts: [{index, reason}]`."""
    actor = actor_of(request)
    plan = _plan(actor, plan_id)
    written = courses.book_course(
        actor, plan, _choices(actor, payload), override_reason=payload.override_reason
    )
    return 201, _booked(actor, plan, written)


@router.post("/plans/{plan_id}/reschedule", response={200: BookedOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def reschedule_course(request: HttpRequest, plan_id: int, payload: BookIn) -> dict[str, Any]:
    """Apply a re-plan or a shift offer: booked sessions move, missing ones are booked."""
    actor = actor_of(request)
    plan = _plan(actor, plan_id)
    written = courses.reschedule_course(
        actor, plan, _choices(actor, payload), override_reason=payload.override_reason
    )
    return _booked(actor, plan, written)


@router.post("/appointments", response={201: AppointmentOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def create_appointment(request: HttpRequest, payload: AppointmentIn) -> tuple[int, Any]:
    actor = actor_of(request)
    actor.require(Perm.SCHEDULE_EDIT)
    plan = None if payload.plan is None else _plan(actor, payload.plan)
    practitioner = _member(actor, payload.practitioner)
    assert practitioner is not None
    duration = payload.duration_min or (plan.session_duration_min if plan else None)
    if duration is None:
        raise Invalid.field("duration_min", "Give the duration in minutes.")
    appointment = appts.book_appointment(
        actor,
        patient=_PATIENT(actor.org_id, payload.patient),
        practitioner=practitioner,
        room=_room(actor, payload.room),
        start=payload.start,
        duration_min=duration,
        plan=plan,
        course_index=payload.course_index,
        notes=payload.notes,
        override_reason=payload.override_reason,
    )
    if plan is not None:  # a course's session: the course booking saved it again
        return 201, _fresh(actor, appointment.pk)
    # A single appointment is as it was written: its patient, practitioner (with the user),
    # room and location are the rows loaded above, so the answer needs no second read.
    return 201, appointment_out(appointment)


class AppointmentQuery(Schema):
    date_from: dt.date | None = Field(None, description="local date (of `location`, else UTC)")
    date_to: dt.date | None = Field(None, description="inclusive")
    location: int | None = None
    practitioner: int | None = None
    room: int | None = None
    patient: int | None = None
    status: AppointmentStatus | None = None
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


def _page(qs: Any, params: Any, out: Any) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``qs`` (``params.limit``, ``params.offset``) and the page's body."""
    items = list(qs[params.offset : params.offset + params.limit])
    return items, {
        "count": qs.count(),
        "limit": params.limit,
        "offset": params.offset,
        "items": [out(item) for item in items],
    }


def _audited_page(
    actor: Actor, qs: Any, params: Any, object_type: str, noun: str, out: Any
) -> dict[str, Any]:
    """One page of a list that may show patients: the read is audited (with the patient filter
    when there is one)."""
    items, body = _page(qs, params, out)
    record_list_read(
        actor,
        object_type,
        [getattr(item, "patient_id", None) for item in items],
        patient_id=params.patient,
        summary=f"listed {len(items)} {noun}",
        channel="api",
    )
    return body


@router.get("/appointments", response={200: AppointmentPage, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def list_appointments(request: HttpRequest, params: Query[AppointmentQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    tz: Any = dt.UTC
    if params.location is not None:
        tz = get_for_org(Location, actor.org_id, params.location).tz
    qs = appts.list_appointments(
        actor,
        start_from=None if params.date_from is None else local_midnight(params.date_from, tz),
        start_before=None
        if params.date_to is None
        else local_midnight(params.date_to + dt.timedelta(days=1), tz),
        location=params.location,
        practitioner=params.practitioner,
        room=params.room,
        patient=params.patient,
        status=params.status,
    )
    return _audited_page(
        actor, qs, params, "scheduling.appointment", "appointments", appointment_out
    )


@router.get("/appointments/{appointment_id}", response={200: AppointmentOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_VIEW)
def get_appointment(request: HttpRequest, appointment_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    return appointment_out(appts.get_appointment(actor, appointment_id))


@router.patch("/appointments/{appointment_id}", response={200: MovedOut, **PROBLEM_RESPONSES})
@requires(Perm.SCHEDULE_EDIT)
def move_appointment(
    request: HttpRequest, appointment_id: int, payload: AppointmentPatch
) -> dict[str, Any]:
    """Move (start, practitioner, room) and/or change notes. A move re-checks conflicts and
    the gap to the previous session (409); later sessions that lose their gap come back as a
    `shift_offer` to apply with `POST /plans/{id}/reschedule`."""
    actor = actor_of(request)
    appointment = _appointment(actor, appointment_id)
    out: dict[str, Any] = {}
    if payload.start or payload.practitioner or payload.room:
        result = appts.move_appointment(
            actor,
            appointment,
            start=payload.start or appointment.start,
            practitioner=_member(actor, payload.practitioner),
            room=None if payload.room is None else _room(actor, payload.room),
            override_reason=payload.override_reason,
        )
        out["later_sessions_invalid"] = list(result.later_sessions_invalid)
        if result.shift_offer is not None:
            out["shift_offer"] = proposals_out(result.shift_offer)
    if payload.notes is not None:
        appts.update_notes(actor, appointment, payload.notes)
    return {**_fresh(actor, appointment.pk), **out}


@router.post(
    "/appointments/{appointment_id}/cancel", response={200: AppointmentOut, **PROBLEM_RESPONSES}
)
@requires(Perm.SCHEDULE_EDIT)
def cancel_appointment(request: HttpRequest, appointment_id: int, payload: CancelIn) -> Any:
    actor = actor_of(request)
    appts.cancel_appointment(actor, _appointment(actor, appointment_id), payload.reason)
    return _fresh(actor, appointment_id)


@router.post(
    "/appointments/{appointment_id}/no-show", response={200: AppointmentOut, **PROBLEM_RESPONSES}
)
@requires(Perm.SCHEDULE_EDIT)
def no_show(request: HttpRequest, appointment_id: int) -> Any:
    actor = actor_of(request)
    appts.mark_no_show(actor, _appointment(actor, appointment_id))
    return _fresh(actor, appointment_id)


@router.post(
    "/appointments/{appointment_id}/check-in", response={200: AppointmentOut, **PROBLEM_RESPONSES}
)
@requires(Perm.SCHEDULE_EDIT)
def check_in(request: HttpRequest, appointment_id: int, payload: CheckInIn | None = None) -> Any:
    """The patient arrived. On another day than the appointment's (the location's calendar),
    `reason` says why (409 `not_appointment_day` naming the field `reason` without it)."""
    actor = actor_of(request)
    appts.check_in(
        actor,
        _appointment(actor, appointment_id),
        override_reason=payload.override_reason if payload else None,
        reason=payload.reason if payload else None,
    )
    return _fresh(actor, appointment_id)


@router.post(
    "/appointments/{appointment_id}/complete", response={200: AppointmentOut, **PROBLEM_RESPONSES}
)
@requires(Perm.SCHEDULE_EDIT)
def complete(request: HttpRequest, appointment_id: int) -> Any:
    actor = actor_of(request)
    appts.complete_appointment(actor, _appointment(actor, appointment_id))
    return _fresh(actor, appointment_id)
