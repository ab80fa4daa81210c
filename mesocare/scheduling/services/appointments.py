"""Single appointments: read, list, book, move, cancel, no-show, check-in, complete."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org, require_in_org
from mesocare.errors import Conflict, Invalid
from mesocare.lib.local_time import LONG_DATE, format_date, local_day
from mesocare.patients.models import Patient
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus, ConflictReason
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import hooks
from mesocare.scheduling.services.booking import (
    Candidate,
    Conflicts,
    find_conflicts,
    guarded_write,
)
from mesocare.scheduling.services.calendars import TREATING_ROLES
from mesocare.scheduling.services.courses import (
    CourseOptions,
    SessionChoice,
    book_course,
    gap_conflicts,
    propose_sessions,
    require_open_plan,
)
from mesocare.scheduling.services.insert_if_free import insert_if_free
from mesocare.scheduling.signals import (
    appointment_moved,
    appointment_status_changed,
    appointments_booked,
)

MAX_DURATION_MIN = 12 * 60


def appointment_queryset(actor: Actor) -> QuerySet[Appointment]:
    return Appointment.objects.for_org(actor.org_id).select_related(
        "location", "practitioner__user", "room", "patient", "plan"
    )


def get_appointment(
    actor: Actor, pk: Any, *, channel: str = "api", audit: bool = True
) -> Appointment:
    actor.require(Perm.SCHEDULE_VIEW)
    appointment = get_for_org(Appointment, actor.org_id, pk, queryset=appointment_queryset(actor))
    if audit:
        record(
            actor,
            AuditAction.READ,
            appointment,
            patient_id=appointment.patient_id,
            summary="appointment opened",
            channel=channel,
        )
    return appointment


def list_appointments(
    actor: Actor,
    *,
    start_from: dt.datetime | None = None,
    start_before: dt.datetime | None = None,
    location: int | None = None,
    practitioner: int | None = None,
    room: int | None = None,
    patient: int | None = None,
    status: str | None = None,
) -> QuerySet[Appointment]:
    """The organization's appointments, filtered; the caller audits what it shows."""
    actor.require(Perm.SCHEDULE_VIEW)
    qs = appointment_queryset(actor)
    if start_from is not None:
        # No appointment lasts longer than MAX_DURATION_MIN (every way in refuses one), so one
        # that ends after `start_from` starts after `start_from - MAX_DURATION_MIN`: that bound
        # lets the (organization, start) index read one window, not all of the past.
        earliest = start_from - dt.timedelta(minutes=MAX_DURATION_MIN)
        qs = qs.filter(end__gt=start_from, start__gt=earliest)
    if start_before is not None:
        qs = qs.filter(start__lt=start_before)
    for name, value in (
        ("location_id", location),
        ("practitioner_id", practitioner),
        ("room_id", room),
        ("patient_id", patient),
        ("status", status),
    ):
        if value is not None:
            qs = qs.filter(**{name: value})
    return qs.order_by("start", "id")


def record_calendar_read(actor: Actor, location: Location, shown: int) -> None:
    """The calendar shows patients' names: one audited read per page view."""
    record(
        actor,
        AuditAction.READ,
        location,
        summary=f"calendar of {location.name}: {shown} appointments shown",
        channel="web",
    )


def _require_treating(practitioner: Membership, field: str = "practitioner") -> None:
    if practitioner.role not in TREATING_ROLES or not practitioner.is_active:
        raise Invalid.field(field, _("This staff member does not treat patients."))


def _require_aware(moment: dt.datetime, field: str) -> None:
    if timezone.is_naive(moment):
        raise Invalid.field(field, _("Give the time with its UTC offset."))


def book_appointment(
    actor: Actor,
    *,
    patient: Patient,
    practitioner: Membership,
    room: Room,
    start: dt.datetime,
    duration_min: int,
    plan: TreatmentPlan | None = None,
    course_index: int | None = None,
    notes: str = "",
    override_reason: str | None = None,
    channel: str = "api",
) -> Appointment:
    """One appointment; with a plan it is one session of the course (gap rules apply, and the
    safety check runs first)."""
    actor.require(Perm.SCHEDULE_EDIT)
    require_in_org(actor, patient, practitioner, room)
    _require_treating(practitioner)
    _require_aware(start, "start")
    if not 1 <= duration_min <= MAX_DURATION_MIN:
        raise Invalid.field("duration_min", _("Give a duration between 1 and 720 minutes."))
    if plan is not None:
        if plan.patient_id != patient.pk:
            raise Invalid.field("plan", _("This plan is for another patient."))
        if course_index is None:
            raise Invalid.field("course_index", _("Say which session of the course this is."))
        if duration_min != plan.session_duration_min:
            raise Invalid.field(
                "duration_min",
                _("Sessions of this plan last %d minutes.") % plan.session_duration_min,
            )
        booked = book_course(
            actor,
            plan,
            [SessionChoice(course_index, start, practitioner, room)],
            override_reason=override_reason,
            channel=channel,
        )
        if notes:
            booked[0].notes = notes
            booked[0].save(update_fields=["notes", "updated_at"])
        return booked[0]
    candidate = Candidate(start, start + dt.timedelta(minutes=duration_min), practitioner, room)
    appointment = Appointment(
        organization_id=actor.org_id,
        location=room.location,
        practitioner=practitioner,
        room=room,
        patient=patient,
        start=candidate.start,
        end=candidate.end,
        notes=notes,
        created_by=actor.user,
    )
    with guarded_write():
        written = candidate.start >= timezone.now() and insert_if_free(appointment)
        if written:
            record(
                actor,
                AuditAction.CREATE,
                appointment,
                patient_id=patient.pk,
                summary=f"booked appointment at {start.isoformat()}",
                channel=channel,
            )
            appointments_booked.send(
                sender=Appointment,
                actor=actor,
                appointments=[appointment],
                created_ids=frozenset([appointment.pk]),
            )
    if not written:
        # Nothing was written: ask the one source of conflict reasons why.
        conflicts = find_conflicts(actor.org_id, patient.pk, [candidate])
        raise (
            conflicts.error()
            if conflicts
            else Conflicts().error(
                _("This time was taken a moment ago and is free again; please try again.")
            )
        )
    return appointment


def update_notes(
    actor: Actor, appointment: Appointment, notes: str, *, channel: str = "api"
) -> Appointment:
    actor.require(Perm.SCHEDULE_EDIT)
    require_in_org(actor, appointment)
    if notes == appointment.notes:
        return appointment
    changes = {"notes": [appointment.notes, notes]}
    appointment.notes = notes
    appointment.save(update_fields=["notes", "updated_at"])
    record(
        actor,
        AuditAction.UPDATE,
        appointment,
        patient_id=appointment.patient_id,
        summary="appointment notes changed",
        changes=changes,
        channel=channel,
    )
    return appointment


@dataclass(frozen=True)
class MoveResult:
    appointment: Appointment
    # When the move leaves later sessions of the course outside the plan's gap rules: a
    # placement of those sessions that keeps them valid (apply with `reschedule_course`).
    shift_offer: CourseOptions | None = None
    later_sessions_invalid: tuple[int, ...] = ()


def move_appointment(
    actor: Actor,
    appointment: Appointment,
    *,
    start: dt.datetime,
    practitioner: Membership | None = None,
    room: Room | None = None,
    override_reason: str | None = None,
    channel: str = "api",
) -> MoveResult:
    """Move a booked appointment. Conflicts and the gap to the previous session of its course
    refuse the move (409); later sessions that no longer keep the gap get a shift offer."""
    actor.require(Perm.SCHEDULE_EDIT)
    require_in_org(actor, appointment)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            "not_movable",
            _("Only a booked appointment can be moved (this one is %s).")
            % appointment.get_status_display(),
        )
    _require_aware(start, "start")
    practitioner = practitioner or appointment.practitioner
    room = room or appointment.room
    require_in_org(actor, practitioner, room)
    _require_treating(practitioner)
    duration = appointment.end - appointment.start
    plan = appointment.plan
    candidate = Candidate(
        start, start + duration, practitioner, room, appointment.course_index, appointment
    )
    later_invalid: list[int] = []
    if plan is not None:
        require_open_plan(actor, plan)
        siblings = {
            a.course_index: a
            for a in Appointment.objects.for_org(actor.org_id)
            .filter(plan=plan, status__in=ACTIVE_STATUSES)
            .exclude(pk=appointment.pk)
            .select_related("location")
        }
        index = appointment.course_index or 0
        placed = {i: (a.start, a.location) for i, a in siblings.items() if i is not None}
        placed[index] = (candidate.start, candidate.location)
        before = Conflicts()
        gap_conflicts(plan, {i: v for i, v in placed.items() if i <= index}, [index], before)
        if before and not override_reason:
            raise before.error(_("The move breaks the gap to the previous session."))
        after = Conflicts()
        gap_conflicts(plan, placed, [index], after)
        gap_conflicts(plan, placed, [i for i in placed if i > index], after)
        later_invalid = sorted({c["index"] for c in after.items if c["index"] > index})
    previous = (appointment.start, appointment.end, appointment.practitioner, appointment.room)
    with guarded_write() as cursor:
        cursor.index = appointment.course_index
        conflicts = find_conflicts(
            actor.org_id,
            appointment.patient_id,
            [candidate],
            room_kind=plan.room_kind if plan is not None else "",
        )
        if conflicts:
            raise conflicts.error(_("The appointment was not moved."))
        appointment.start, appointment.end = candidate.start, candidate.end
        appointment.practitioner, appointment.room = practitioner, room
        appointment.location = room.location
        appointment.save(
            update_fields=["start", "end", "practitioner", "room", "location", "updated_at"]
        )
        record(
            actor,
            AuditAction.OVERRIDE if override_reason and plan is not None else AuditAction.UPDATE,
            appointment,
            patient_id=appointment.patient_id,
            summary=f"moved appointment to {start.isoformat()}"
            + (f" (gap override: {override_reason})" if override_reason else ""),
            changes={
                "start": [previous[0], appointment.start],
                "practitioner": [previous[2].pk, practitioner.pk],
                "room": [previous[3].pk, room.pk],
            },
            channel=channel,
        )
        appointment_moved.send(
            sender=Appointment,
            actor=actor,
            appointment=appointment,
            previous_start=previous[0],
            previous_end=previous[1],
        )
        from mesocare.scheduling.services.waitlist import offer_freed_slot

        offer_freed_slot(actor, appointment, previous[0], previous[1], previous[2], previous[3])
    offer = None
    if plan is not None and later_invalid:
        offer = _shift_offer(actor, plan, appointment, later_invalid)
    return MoveResult(appointment, offer, tuple(later_invalid))


def _shift_offer(
    actor: Actor, plan: TreatmentPlan, moved: Appointment, invalid: list[int]
) -> CourseOptions:
    """Place the sessions after the moved one again, anchored on it, at the same location
    with the same practitioner and the time-of-day span they had."""
    later = list(
        Appointment.objects.for_org(actor.org_id)
        .filter(
            plan=plan,
            status=AppointmentStatus.BOOKED,
            course_index__gt=moved.course_index or 0,
        )
        .order_by("course_index")
    )
    tz = moved.location.tz
    times = [(a.start.astimezone(tz).time(), a.end.astimezone(tz).time()) for a in later]
    window = (min(t[0] for t in times), max(t[1] for t in times)) if times else None
    if window is not None and not window[0] < window[1]:
        window = None
    indexes = list(range((moved.course_index or 0) + 1, plan.sessions_planned + 1))
    return propose_sessions(
        actor,
        plan,
        moved.location,
        indexes,
        moved.end,
        practitioner=moved.practitioner,
        window=window,
        alternatives=0,
        anchor=moved,
        exclude_appointment_ids=[a.pk for a in later],
    )


_TRANSITIONS: dict[str, tuple[str, ...]] = {
    AppointmentStatus.CANCELLED: (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
    AppointmentStatus.NO_SHOW: (AppointmentStatus.BOOKED,),
    AppointmentStatus.CHECKED_IN: (AppointmentStatus.BOOKED,),
    # Only `undo_check_in` (an empty session discarded) goes back.
    AppointmentStatus.BOOKED: (AppointmentStatus.CHECKED_IN,),
    AppointmentStatus.COMPLETED: (AppointmentStatus.BOOKED, AppointmentStatus.CHECKED_IN),
}


def _transition(
    actor: Actor,
    appointment: Appointment,
    to: AppointmentStatus,
    *,
    channel: str,
    reason: str = "",
) -> Appointment:
    actor.require(Perm.SCHEDULE_EDIT)
    require_in_org(actor, appointment)
    with guarded_write():
        # Re-read under the write lock so two desks cannot both check in or cancel.
        current = Appointment.objects.select_for_update().get(pk=appointment.pk)
        if current.status not in _TRANSITIONS[to]:
            raise Conflict(
                "invalid_transition",
                _("A %(from)s appointment cannot become %(to)s.")
                % {"from": current.get_status_display(), "to": to.label},
                status_now=current.status,
            )
        previous = current.status
        appointment.status = to
        appointment.status_changed_at = timezone.now()
        fields = ["status", "status_changed_at", "updated_at"]
        changes: dict[str, Any] = {"status": [previous, to]}
        if to == AppointmentStatus.CANCELLED:
            appointment.cancel_reason = reason
            fields.append("cancel_reason")
        elif to == AppointmentStatus.CHECKED_IN and reason:
            # Checked in on another day than the appointment's: why, in the audit trail.
            changes["check_in_reason"] = [None, reason]
        appointment.save(update_fields=fields)
        record(
            actor,
            AuditAction.UPDATE,
            appointment,
            patient_id=appointment.patient_id,
            summary=f"appointment {previous} → {to}" + (f": {reason}" if reason else ""),
            changes=changes,
            channel=channel,
        )
        appointment_status_changed.send(
            sender=Appointment, actor=actor, appointment=appointment, previous_status=previous
        )
        if to == AppointmentStatus.CANCELLED:
            from mesocare.scheduling.services.waitlist import offer_freed_slot

            offer_freed_slot(
                actor,
                appointment,
                appointment.start,
                appointment.end,
                appointment.practitioner,
                appointment.room,
            )
    return appointment


def cancel_appointment(
    actor: Actor, appointment: Appointment, reason: str, *, channel: str = "api"
) -> Appointment:
    reason = (reason or "").strip()
    if not reason:
        raise Invalid.field("reason", _("Say why the appointment is cancelled."))
    return _transition(
        actor, appointment, AppointmentStatus.CANCELLED, channel=channel, reason=reason
    )


def mark_no_show(actor: Actor, appointment: Appointment, *, channel: str = "api") -> Appointment:
    if timezone.now() < appointment.start:
        raise Conflict("not_started", _("A patient can only miss an appointment once it starts."))
    return _transition(actor, appointment, AppointmentStatus.NO_SHOW, channel=channel)


def check_in_day_error(
    appointment: Appointment, reason: str | None, *, now: dt.datetime | None = None
) -> Conflict | None:
    """A check-in on another day than the appointment's (the location's calendar day) needs a
    reason; the error names the field `reason`. None when the check-in may go ahead."""
    where = appointment.location
    if local_day(appointment.start, where) == local_day(now or timezone.now(), where):
        return None
    if (reason or "").strip():
        return None
    message = _(
        "This appointment is on %(day)s, not today. Say why the patient is checked in now."
    ) % {"day": format_date(appointment.start, where, LONG_DATE)}
    return Conflict(
        "not_appointment_day",
        message,
        errors=[{"field": "reason", "message": message}],
        appointment_day=local_day(appointment.start, where).isoformat(),
    )


def check_in(
    actor: Actor,
    appointment: Appointment,
    *,
    override_reason: str | None = None,
    reason: str | None = None,
    channel: str = "api",
    now: dt.datetime | None = None,
) -> Appointment:
    """The patient arrived: only on the appointment's day (location's calendar) unless
    `reason` says why (recorded in the audit entry); then the safety check at moment
    "check_in" runs (409 on a block). `now` is the clock (the demo's history sets it)."""
    actor.require(Perm.SCHEDULE_EDIT)
    if appointment.status != AppointmentStatus.BOOKED:
        raise Conflict(
            "invalid_transition",
            _("Only a booked appointment can be checked in (this one is %s).")
            % appointment.get_status_display(),
            status_now=appointment.status,
        )
    wrong_day = check_in_day_error(appointment, None, now=now)
    error = check_in_day_error(appointment, reason, now=now)
    if error is not None:
        raise error
    hooks.require_safe_to_treat(
        actor,
        appointment.patient,
        "check_in",
        on=appointment.start.astimezone(appointment.location.tz).date(),
        location=appointment.location,
        plan=appointment.plan,
        override_reason=override_reason,
        channel=channel,
    )
    return _transition(
        actor,
        appointment,
        AppointmentStatus.CHECKED_IN,
        channel=channel,
        reason=(reason or "").strip() if wrong_day is not None else "",
    )


def undo_check_in(
    actor: Actor, appointment: Appointment, reason: str, *, channel: str = "api"
) -> Appointment:
    """A checked-in appointment goes back to booked (its empty session was discarded, see
    `charting.services.sessions.discard_session`); audited with the reason."""
    return _transition(actor, appointment, AppointmentStatus.BOOKED, channel=channel, reason=reason)


def complete_appointment(
    actor: Actor, appointment: Appointment, *, channel: str = "api"
) -> Appointment:
    return _transition(actor, appointment, AppointmentStatus.COMPLETED, channel=channel)


def location_for(actor: Actor, pk: Any) -> Location:
    return get_for_org(Location, actor.org_id, pk)


__all__ = [
    "ConflictReason",
    "MoveResult",
    "appointment_queryset",
    "book_appointment",
    "cancel_appointment",
    "check_in",
    "check_in_day_error",
    "complete_appointment",
    "get_appointment",
    "list_appointments",
    "mark_no_show",
    "undo_check_in",
    "update_notes",
    "move_appointment",
]
