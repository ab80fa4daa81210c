"""A returning patient books the rest of their course, or moves one session, from the portal.

The same engine and services as the staff calendar: `propose_rest` (the optimal placements of
the sessions after the last one held, keeping the plan's gap to it, in the patient's
time-of-day window), then `book_course` / `reschedule_course` (all or nothing, with the safety
check) and `move_appointment`. Online, a session may be moved only within the plan's interval
rules and up to the cut-off before it; later changes go to the desk.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core import signing
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesocare.booking.models import OnlineAppointment, OnlineBookingSettings
from mesocare.booking.services.setup import online_actor, settings_of
from mesocare.booking.services.slots import GRID_MIN, PublicSlot
from mesocare.clinics.models import Location, Membership, Organization, Room
from mesocare.core.scheduling import free_slots
from mesocare.errors import Conflict, Invalid, NotFound
from mesocare.patients.models import Patient
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.appointments import move_appointment
from mesocare.scheduling.services.booking import Conflicts
from mesocare.scheduling.services.calendars import local_midnight, location_calendars
from mesocare.scheduling.services.courses import (
    OPEN_PLAN_STATUSES,
    CourseOptions,
    SessionChoice,
    book_course,
    propose_rest,
    reschedule_course,
    rest_of_course,
)
from mesocare.scheduling.services.intervals import gap_conflicts, gap_rule

CHANNEL = "online"
PROPOSAL_SALT = "mesocare.booking.course-proposal"
PROPOSAL_MAX_AGE_S = 30 * 60
WINDOWS: dict[str, tuple[Any, tuple[dt.time, dt.time] | None]] = {
    "any": (gettext_lazy("Any time"), None),
    "morning": (gettext_lazy("Mornings (9:00–12:00)"), (dt.time(9), dt.time(12))),
    "lunch": (gettext_lazy("Lunchtime (12:00–14:30)"), (dt.time(12), dt.time(14, 30))),
    "evening": (gettext_lazy("After work (17:00–20:00)"), (dt.time(17), dt.time(20))),
}
MOVE_SLOTS_SHOWN = 30


def open_plan(patient: Patient) -> TreatmentPlan | None:
    """The patient's open plan with sessions still to place, newest first."""
    plans = (
        TreatmentPlan.objects.for_org(patient.organization_id)
        .filter(patient=patient, status__in=OPEN_PLAN_STATUSES)
        .select_related("protocol")
        .order_by("-created_at", "-id")
    )
    for plan in plans:
        indexes, _anchor, _to_move = rest_of_course(plan)
        if indexes:
            return plan
    return None


def _plan_of(patient: Patient, plan_id: int) -> TreatmentPlan:
    plan = (
        TreatmentPlan.objects.for_org(patient.organization_id)
        .filter(pk=plan_id, patient=patient)
        .first()
    )
    if plan is None:
        raise NotFound("not_found", _("No such treatment plan."))
    return plan


def _cutoff(settings: OnlineBookingSettings) -> dt.timedelta:
    return dt.timedelta(hours=settings.cutoff_hours)


def propose_online(
    org: Organization,
    patient: Patient,
    plan: TreatmentPlan,
    location: Location,
    window: str,
    *,
    now: dt.datetime | None = None,
) -> CourseOptions:
    """The engine's optimal placements of the rest of the course, starting after the cut-off
    (nothing sooner can be booked or changed online)."""
    if window not in WINDOWS:
        raise Invalid.field("window", _("Choose one of the times of day offered."))
    now = now or timezone.now()
    settings = settings_of(org)
    return propose_rest(
        online_actor(org),
        plan,
        location,
        now + _cutoff(settings),
        window=WINDOWS[window][1],
        alternatives=2,
    )


def sign_proposal(plan: TreatmentPlan, sessions: Any) -> str:
    """The proposal as the patient saw it, signed, for the booking form."""
    return signing.dumps(
        {
            "plan": plan.pk,
            "s": [[s.index, s.start.isoformat(), s.practitioner_id, s.room_id] for s in sessions],
        },
        salt=PROPOSAL_SALT,
    )


@dataclass(frozen=True)
class CourseBooked:
    appointments: list[Appointment]


def book_rest_online(
    org: Organization, patient: Patient, signed: str, *, now: dt.datetime | None = None
) -> CourseBooked:
    """Book the signed proposal all or nothing. Booked sessions of the rest move with it (when
    all of them are later than the cut-off; otherwise `Conflict("call_the_desk")`). A
    conflict (a time taken since) raises the scheduling service's 409; a safety block its
    `safety_block`."""
    now = now or timezone.now()
    try:
        data = signing.loads(signed, salt=PROPOSAL_SALT, max_age=PROPOSAL_MAX_AGE_S)
        plan = _plan_of(patient, int(data["plan"]))
        rows = [(int(i), dt.datetime.fromisoformat(s), int(p), int(r)) for i, s, p, r in data["s"]]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise Invalid.field(
            "proposal", _("These times are out of date. Please look at them again.")
        ) from None
    settings = settings_of(org)
    _indexes, _anchor, to_move = rest_of_course(plan)
    if any(a.start < now + _cutoff(settings) for a in to_move):
        raise Conflict(
            "call_the_desk",
            _("A session of your course is too soon to change online. Please call the clinic."),
        )
    members = {m.pk: m for m in Membership.objects.for_org(org).filter(pk__in=[r[2] for r in rows])}
    rooms = {r.pk: r for r in Room.objects.for_org(org).filter(pk__in=[r[3] for r in rows])}
    if len(members) != len({r[2] for r in rows}) or len(rooms) != len({r[3] for r in rows}):
        raise Invalid.field(
            "proposal", _("These times are out of date. Please look at them again.")
        )
    choices = [SessionChoice(i, start, members[p], rooms[r]) for i, start, p, r in rows]
    actor = online_actor(org)
    write = reschedule_course if to_move else book_course
    booked = write(actor, plan, choices, channel=CHANNEL)
    for appointment in booked:
        OnlineAppointment.objects.get_or_create(
            appointment=appointment, defaults={"organization_id": org.pk}
        )
    return CourseBooked(booked)


# --- moving one session ---------------------------------------------------------------------


def movable(appointment: Appointment, settings: OnlineBookingSettings, now: dt.datetime) -> bool:
    return appointment.status == AppointmentStatus.BOOKED and appointment.start >= now + _cutoff(
        settings
    )


def _own_appointment(patient: Patient, appointment_id: int) -> Appointment:
    appointment = (
        Appointment.objects.for_org(patient.organization_id)
        .filter(pk=appointment_id, patient=patient)
        .select_related("location", "plan", "practitioner", "room")
        .first()
    )
    if appointment is None:
        raise NotFound("not_found", _("No such appointment."))
    return appointment


def _keeps_gaps(plan: TreatmentPlan, appointment: Appointment, start: dt.datetime) -> bool:
    siblings = {
        a.course_index: (a.start, a.location)
        for a in Appointment.objects.for_org(plan.organization_id)
        .filter(plan=plan, status__in=ACTIVE_STATUSES)
        .exclude(pk=appointment.pk)
        .select_related("location")
        if a.course_index is not None
    }
    index = appointment.course_index or 0
    siblings[index] = (start, appointment.location)
    conflicts = Conflicts()
    gap_conflicts(plan, siblings, [index], conflicts)
    return not conflicts


def move_options(
    org: Organization, patient: Patient, appointment_id: int, *, now: dt.datetime | None = None
) -> tuple[Appointment, list[PublicSlot]]:
    """Where the session may move online: free times of its practitioner's calendar at its
    location, later than the cut-off, that keep the plan's gaps to both neighbours."""
    now = now or timezone.now()
    settings = settings_of(org)
    appointment = _own_appointment(patient, appointment_id)
    if not movable(appointment, settings, now):
        raise Conflict(
            "call_the_desk",
            _("This session is too soon to change online. Please call the clinic."),
        )
    plan = appointment.plan
    location = appointment.location
    tz = location.tz
    first = (now + _cutoff(settings)).astimezone(tz).date()
    last = first + dt.timedelta(days=plan.interval_max_days if plan else 14)
    if plan is not None:
        rule = gap_rule(plan)
        previous = (
            Appointment.objects.for_org(org)
            .filter(
                plan=plan,
                course_index=(appointment.course_index or 0) - 1,
                status__in=ACTIVE_STATUSES,
            )
            .first()
        )
        if previous is not None:
            day = previous.start.astimezone(previous.location.tz).date()
            first, last = max(first, rule.earliest(day)), rule.latest(day)
    calendars = location_calendars(
        org.pk,
        location,
        local_midnight(first, tz),
        local_midnight(last + dt.timedelta(days=1), tz),
        practitioner_ids=[appointment.practitioner_id],
        patient_id=patient.pk,
        exclude_appointment_ids=[appointment.pk],
    )
    out: list[PublicSlot] = []
    for calendar in calendars.practitioners:
        for slot in free_slots(
            calendar,
            calendars.rooms,
            calendars.patient_busy,
            tz,
            first,
            last,
            appointment.end - appointment.start,
            granularity_min=GRID_MIN,
            room_kind=(plan.room_kind if plan else "") or None,
        ):
            if slot.room_id is None or slot.start < now + _cutoff(settings):
                continue
            if plan is not None and not _keeps_gaps(plan, appointment, slot.start):
                continue
            out.append(
                PublicSlot(slot.start, slot.end, int(slot.practitioner_id), int(slot.room_id))
            )
            if len(out) >= MOVE_SLOTS_SHOWN:
                return appointment, out
    return appointment, out


def move_online(
    org: Organization,
    patient: Patient,
    appointment_id: int,
    room_id: int,
    start: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> Appointment:
    """Move the session to ``start`` if it is one of `move_options` (the gap and cut-off rules
    hold), through the scheduling service."""
    appointment, options = move_options(org, patient, appointment_id, now=now)
    if not any(s.start == start and s.room_id == room_id for s in options):
        raise Conflict(
            "slot_taken", _("Sorry, this time is no longer free. Here are the free times.")
        )
    room = Room.objects.for_org(org).get(pk=room_id)
    move_appointment(online_actor(org), appointment, start=start, room=room, channel=CHANNEL)
    appointment.refresh_from_db()
    return appointment
