"""Courses: propose the optimal placement, book it all or nothing, re-plan the rest."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import require_in_org
from mesocare.core.scheduling import CourseRequest, CourseResult, Proposal, place_course
from mesocare.errors import Conflict, Invalid, NotFound
from mesocare.plans.choices import PlanEventKind, PlanStatus
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.plans.services.states import transition
from mesocare.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus, ConflictReason
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import hooks
from mesocare.scheduling.services.booking import (
    Candidate,
    Conflicts,
    find_conflicts,
    guarded_write,
)
from mesocare.scheduling.services.calendars import (
    TREATING_ROLES,
    local_midnight,
    location_calendars,
)
from mesocare.scheduling.services.intervals import gap_conflicts, gap_rule
from mesocare.scheduling.signals import appointments_booked

OPEN_PLAN_STATUSES = (PlanStatus.PROPOSED, PlanStatus.ACTIVE, PlanStatus.REVIEW_NEEDED)
MAX_HORIZON_DAYS = 400
Window = tuple[dt.time, dt.time]


@dataclass(frozen=True)
class ProposedSession:
    index: int
    start: dt.datetime
    end: dt.datetime
    practitioner_id: int
    room_id: int | None


@dataclass(frozen=True)
class CourseProposal:
    sessions: tuple[ProposedSession, ...]
    deviation_days: int
    finish: dt.datetime


@dataclass(frozen=True)
class CourseOptions:
    proposals: tuple[CourseProposal, ...]
    infeasible_reason: str | None = None
    relaxation: dict[str, Any] | None = None
    # True when the rest of a course could not keep the gap to the last session held (it was
    # too long ago): the proposal starts the gap rules afresh.
    gap_reset: bool = False


@dataclass(frozen=True)
class SessionChoice:
    """One session the caller picked (usually from a proposal)."""

    index: int
    start: dt.datetime
    practitioner: Membership
    room: Room


def require_open_plan(actor: Actor, plan: TreatmentPlan) -> None:
    require_in_org(actor, plan)
    if plan.status not in OPEN_PLAN_STATUSES:
        raise Conflict(
            "plan_closed",
            _("The plan is %(status)s; its sessions can no longer be booked.")
            % {"status": plan.get_status_display()},
        )


def _horizon(plan: TreatmentPlan, count: int) -> int:
    return min(MAX_HORIZON_DAYS, max(182, (count - 1) * plan.interval_max_days + 28))


def _earliest_instant(earliest: dt.date | dt.datetime, location: Location) -> dt.datetime:
    if isinstance(earliest, dt.datetime):
        if timezone.is_naive(earliest):
            earliest = earliest.replace(tzinfo=location.tz)
        moment = earliest
    else:
        moment = local_midnight(earliest, location.tz)
    return max(moment, timezone.now())


def _convert(
    proposal: Proposal, indexes: Sequence[int], extra_deviation: int = 0
) -> CourseProposal:
    return CourseProposal(
        sessions=tuple(
            ProposedSession(
                index=indexes[s.index - 1],
                start=s.start,
                end=s.end,
                practitioner_id=int(s.practitioner_id),
                room_id=None if s.room_id is None else int(s.room_id),
            )
            for s in proposal.sessions
        ),
        deviation_days=proposal.deviation_days + extra_deviation,
        finish=proposal.finish,
    )


def _relaxation(result: CourseResult, indexes: Sequence[int]) -> dict[str, Any] | None:
    relaxed = result.relaxation
    if relaxed is None:
        return None
    request = relaxed.request
    return {
        "constraint": relaxed.constraint.value,
        "gap_max": request.gap_max,
        "window": None
        if request.window is None
        else {"start": request.window[0], "end": request.window[1]},
        "same_practitioner": request.same_practitioner,
        "proposal": _convert(relaxed.proposal, indexes),
    }


def propose_sessions(
    actor: Actor,
    plan: TreatmentPlan,
    location: Location,
    indexes: Sequence[int],
    earliest: dt.date | dt.datetime,
    *,
    practitioner: Membership | None = None,
    same_practitioner: bool = True,
    window: Window | None = None,
    alternatives: int = 3,
    anchor: Appointment | None = None,
    exclude_appointment_ids: Iterable[int] = (),
) -> CourseOptions:
    """Optimal placements of the plan's sessions ``indexes`` (consecutive) at ``location``.

    With ``anchor`` (the last session held or kept), the first session also keeps the plan's
    gap to it; the engine has no per-session bounds, so each allowed first day is tried as
    the earliest and the best course that keeps the gap wins (see the report to the engine's
    author: a `previous` anchor in `CourseRequest` would make this one exact call).
    Proposals are the first step of booking, so they need ``schedule.edit``.
    """
    actor.require(Perm.SCHEDULE_EDIT)
    require_in_org(actor, location)
    if practitioner is not None:
        staff = NotFound("not_found", _("No staff member with id %s.") % practitioner.pk)
        require_in_org(actor, practitioner, error=staff)
    if not indexes:
        return CourseOptions((), "nothing_to_place")
    start = _earliest_instant(earliest, location)
    horizon = _horizon(plan, len(indexes))
    calendars = location_calendars(
        actor.org_id,
        location,
        start - dt.timedelta(days=1),
        start + dt.timedelta(days=horizon + 2 + plan.interval_max_days),
        practitioner_ids=None if practitioner is None else [practitioner.pk],
        patient_id=plan.patient_id,
        exclude_appointment_ids=exclude_appointment_ids,
    )
    duration = dt.timedelta(minutes=plan.session_duration_min)

    def run(earliest_moment: dt.datetime, count_alternatives: int) -> CourseResult:
        request = CourseRequest(
            sessions=(duration,) * len(indexes),
            earliest=earliest_moment,
            gap_min=plan.interval_min_days,
            gap_target=plan.interval_target_days,
            gap_max=plan.interval_max_days,
            gap_min_months=plan.interval_min_months,
            window=window,
            room_kind=plan.room_kind or None,
            same_practitioner=same_practitioner,
            horizon_days=horizon,
        )
        return place_course(
            request,
            calendars.practitioners,
            calendars.rooms,
            calendars.patient_busy,
            calendars.tz,
            alternatives=count_alternatives,
        )

    if anchor is not None:
        anchored = _anchored(plan, location, anchor, start, indexes, run, alternatives)
        if anchored is not None:
            return anchored
    result = run(start, alternatives)
    if not result.proposals:
        return CourseOptions(
            (),
            result.infeasible_reason.value if result.infeasible_reason else "infeasible",
            _relaxation(result, indexes),
            gap_reset=anchor is not None,
        )
    return CourseOptions(
        tuple(_convert(p, indexes) for p in result.proposals), gap_reset=anchor is not None
    )


def _anchored(
    plan: TreatmentPlan,
    location: Location,
    anchor: Appointment,
    start: dt.datetime,
    indexes: Sequence[int],
    run: Any,
    alternatives: int,
) -> CourseOptions | None:
    tz = location.tz
    anchor_day = anchor.start.astimezone(anchor.location.tz).date()
    rule = gap_rule(plan)
    first, last = rule.earliest(anchor_day), rule.latest(anchor_day)
    target = rule.after(anchor_day).target
    day = max(first, start.astimezone(tz).date())
    scored: list[tuple[tuple[Any, ...], CourseProposal]] = []
    while day <= last:
        result = run(max(start, local_midnight(day, tz)), alternatives)
        for proposal in result.proposals:
            first_day = proposal.sessions[0].start.astimezone(tz).date()
            if first_day > last:
                continue
            gap = (first_day - anchor_day).days
            extra = abs(gap - target)
            converted = _convert(proposal, indexes, extra)
            starts = tuple(s.start for s in converted.sessions)
            key = (converted.deviation_days, starts[-1], starts[0], starts)
            scored.append((key, converted))
        day += dt.timedelta(days=1)
    if not scored:
        return None
    scored.sort(key=lambda item: item[0])
    chosen: list[CourseProposal] = []
    seen: set[tuple[dt.date, ...]] = set()
    for _key, proposal in scored:
        days = tuple(s.start.astimezone(tz).date() for s in proposal.sessions)
        if days in seen:
            continue
        seen.add(days)
        chosen.append(proposal)
        if len(chosen) > alternatives:
            break
    return CourseOptions(tuple(chosen))


def propose_course(
    actor: Actor,
    plan: TreatmentPlan,
    location: Location,
    earliest: dt.date | dt.datetime,
    practitioner: Membership | None = None,
    same_practitioner: bool = True,
    window: Window | None = None,
    alternatives: int = 3,
) -> CourseOptions:
    """The whole course: the optimal placement first, then up to ``alternatives`` more."""
    require_open_plan(actor, plan)
    return propose_sessions(
        actor,
        plan,
        location,
        list(range(1, plan.sessions_planned + 1)),
        earliest,
        practitioner=practitioner,
        same_practitioner=same_practitioner,
        window=window,
        alternatives=alternatives,
    )


def _plan_appointments(plan: TreatmentPlan) -> list[Appointment]:
    return list(
        Appointment.objects.for_org(plan.organization_id)
        .filter(plan=plan, status__in=ACTIVE_STATUSES)
        .select_related("location")
        .order_by("course_index")
    )


def rest_of_course(plan: TreatmentPlan) -> tuple[list[int], Appointment | None, list[Appointment]]:
    """The sessions still to place after the last one held (checked in or completed), that
    last one (the anchor for the gap), and the booked appointments of the rest (to move)."""
    held = [a for a in _plan_appointments(plan) if a.status != AppointmentStatus.BOOKED]
    booked = [a for a in _plan_appointments(plan) if a.status == AppointmentStatus.BOOKED]
    anchor = max(held, key=lambda a: a.course_index or 0, default=None)
    after = anchor.course_index or 0 if anchor is not None else 0
    indexes = list(range(after + 1, plan.sessions_planned + 1))
    return indexes, anchor, [a for a in booked if (a.course_index or 0) > after]


def propose_rest(
    actor: Actor,
    plan: TreatmentPlan,
    location: Location,
    earliest: dt.date | dt.datetime | None = None,
    practitioner: Membership | None = None,
    same_practitioner: bool = True,
    window: Window | None = None,
    alternatives: int = 3,
) -> CourseOptions:
    """Re-plan the rest of a course (after a missed or cancelled session, or a move): the
    sessions after the last one held, keeping the gap to it when it is still possible."""
    require_open_plan(actor, plan)
    indexes, anchor, to_move = rest_of_course(plan)
    return propose_sessions(
        actor,
        plan,
        location,
        indexes,
        earliest or timezone.now(),
        practitioner=practitioner,
        same_practitioner=same_practitioner,
        window=window,
        alternatives=alternatives,
        anchor=anchor,
        exclude_appointment_ids=[a.pk for a in to_move],
    )


def _validate_choices(actor: Actor, plan: TreatmentPlan, sessions: Sequence[SessionChoice]) -> None:
    if not sessions:
        raise Invalid.field("sessions", _("Pick at least one session."))
    for n, s in enumerate(sessions):
        require_in_org(
            actor,
            s.practitioner,
            s.room,
            error=NotFound("not_found", _("Unknown practitioner or room in session %d.") % n),
        )
        if s.practitioner.role not in TREATING_ROLES or not s.practitioner.is_active:
            raise Invalid.field(
                f"sessions.{n}.practitioner", _("This staff member does not treat patients.")
            )
        if timezone.is_naive(s.start):
            raise Invalid.field(f"sessions.{n}.start", _("Give the start with its UTC offset."))
    if len({s.index for s in sessions}) != len(sessions):
        raise Invalid.field("sessions", _("Each session index may appear once."))


def write_course(
    actor: Actor,
    plan: TreatmentPlan,
    sessions: Sequence[SessionChoice],
    *,
    move_booked: bool,
    override_reason: str | None = None,
    channel: str = "api",
) -> list[Appointment]:
    """Book (and with ``move_booked``, move already booked sessions to) ``sessions``: every
    one or none. Any conflict → ``Conflict("booking_conflict", conflicts=[{index, reason}])``."""
    actor.require(Perm.SCHEDULE_EDIT)
    require_open_plan(actor, plan)
    _validate_choices(actor, plan, sessions)
    sessions = sorted(sessions, key=lambda s: s.index)
    existing = {a.course_index: a for a in _plan_appointments(plan)}
    conflicts = Conflicts()
    duration = dt.timedelta(minutes=plan.session_duration_min)
    candidates: list[Candidate] = []
    for s in sessions:
        if not 1 <= s.index <= plan.sessions_planned:
            conflicts.add(s.index, ConflictReason.UNKNOWN_SESSION)
            continue
        current = existing.get(s.index)
        moving = None
        if current is not None:
            if move_booked and current.status == AppointmentStatus.BOOKED:
                moving = current
            else:
                conflicts.add(s.index, ConflictReason.ALREADY_BOOKED, appointment=current.pk)
        candidates.append(
            Candidate(s.start, s.start + duration, s.practitioner, s.room, s.index, moving)
        )
    placed = {i: (a.start, a.location) for i, a in existing.items() if i is not None}
    placed.update({c.index: (c.start, c.location) for c in candidates if c.index is not None})
    gap_conflicts(plan, placed, [c.index for c in candidates if c.index is not None], conflicts)
    if conflicts:  # refuse before the safety check stores anything, naming every conflict
        for item in find_conflicts(
            actor.org_id, plan.patient_id, candidates, room_kind=plan.room_kind
        ).items:
            conflicts.items.append(item)
        raise conflicts.error()
    new = [c for c in candidates if c.moving is None]
    if new:
        first = new[0]
        hooks.require_safe_to_treat(
            actor,
            plan.patient,
            "booking",
            on=first.start.astimezone(first.location.tz).date(),
            location=first.location,
            plan=plan,
            override_reason=override_reason,
            channel=channel,
        )
    planned = {
        p.index: p
        for p in PlannedSession.objects.filter(plan=plan, index__in=[c.index for c in candidates])
    }
    with guarded_write() as cursor:
        conflicts = find_conflicts(
            actor.org_id, plan.patient_id, candidates, room_kind=plan.room_kind
        )
        if conflicts:
            raise conflicts.error()
        moving_ids = [c.moving.pk for c in candidates if c.moving is not None]
        if len(moving_ids) > 1:
            # Free the old times first so sessions may take each other's old places.
            Appointment.objects.filter(pk__in=moving_ids).update(status=AppointmentStatus.CANCELLED)
        written = []
        for c in candidates:
            cursor.index = c.index
            written.append(_write(actor, plan, c, planned.get(c.index or 0), channel))
        if plan.status == PlanStatus.PROPOSED:
            _activate(actor, plan, channel)
        appointments_booked.send(
            sender=Appointment,
            actor=actor,
            appointments=[a for a in written],
            created_ids=frozenset(
                a.pk for c, a in zip(candidates, written, strict=True) if c.moving is None
            ),
        )
    return written


def _write(
    actor: Actor,
    plan: TreatmentPlan,
    c: Candidate,
    planned: PlannedSession | None,
    channel: str,
) -> Appointment:
    if c.moving is not None:
        appointment = c.moving
        before = {"start": appointment.start, "end": appointment.end}
        appointment.start, appointment.end = c.start, c.end
        appointment.practitioner, appointment.room = c.practitioner, c.room
        appointment.location = c.location
        appointment.status = AppointmentStatus.BOOKED
        appointment.save(
            update_fields=[
                "start",
                "end",
                "practitioner",
                "room",
                "location",
                "status",
                "updated_at",
            ]
        )
        record(
            actor,
            AuditAction.UPDATE,
            appointment,
            patient_id=plan.patient_id,
            summary=f"moved session {c.index} of plan {plan.pk}",
            changes={"start": [before["start"], c.start], "end": [before["end"], c.end]},
            channel=channel,
        )
        return appointment
    appointment = Appointment.objects.create(
        organization_id=actor.org_id,
        location=c.location,
        practitioner=c.practitioner,
        room=c.room,
        patient_id=plan.patient_id,
        start=c.start,
        end=c.end,
        plan=plan,
        planned_session=planned,
        course_index=c.index,
        created_by=actor.user,
    )
    record(
        actor,
        AuditAction.CREATE,
        appointment,
        patient_id=plan.patient_id,
        summary=f"booked session {c.index} of plan {plan.pk} at {c.start.isoformat()}",
        channel=channel,
    )
    return appointment


def _activate(actor: Actor, plan: TreatmentPlan, channel: str) -> None:
    """A proposed plan whose course is booked becomes active (unless it changed meanwhile)."""
    current = TreatmentPlan.objects.select_for_update().get(pk=plan.pk)
    if current.status != PlanStatus.PROPOSED:
        return
    transition(
        actor,
        current,
        PlanStatus.ACTIVE,
        kind=PlanEventKind.ACTIVATED,
        reason=_("Course booked."),
        summary=f"plan {plan.pk} active: its course is booked",
        channel=channel,
    )
    plan.status, plan.status_changed_at = current.status, current.status_changed_at


def book_course(
    actor: Actor,
    plan: TreatmentPlan,
    sessions: Sequence[SessionChoice],
    override_reason: str | None = None,
    *,
    channel: str = "api",
) -> list[Appointment]:
    """Book every session of ``sessions`` or none (DESIGN §5); a proposed plan becomes active."""
    return write_course(
        actor, plan, sessions, move_booked=False, override_reason=override_reason, channel=channel
    )


def reschedule_course(
    actor: Actor,
    plan: TreatmentPlan,
    sessions: Sequence[SessionChoice],
    override_reason: str | None = None,
    *,
    channel: str = "api",
) -> list[Appointment]:
    """Apply a re-plan or a shift offer: booked sessions move, missing ones are booked; all or
    nothing."""
    return write_course(
        actor, plan, sessions, move_booked=True, override_reason=override_reason, channel=channel
    )
