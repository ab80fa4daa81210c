"""The waitlist: patients who would take an earlier slot, offered one when a slot frees."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.errors import Conflict, Invalid, NotFound
from mesocare.patients.models import Patient
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.choices import WaitlistStatus
from mesocare.scheduling.models import Appointment, WaitlistEntry
from mesocare.scheduling.overlap import active_meeting
from mesocare.scheduling.services import hooks


def add_to_waitlist(
    actor: Actor,
    *,
    patient: Patient,
    location: Location,
    earliest: dt.date,
    duration_min: int,
    latest: dt.date | None = None,
    practitioner: Membership | None = None,
    window: tuple[dt.time, dt.time] | None = None,
    plan: TreatmentPlan | None = None,
    course_index: int | None = None,
    notes: str = "",
    channel: str = "api",
) -> WaitlistEntry:
    actor.require(Perm.SCHEDULE_EDIT)
    for obj in (patient, location, practitioner, plan):
        if obj is not None and obj.organization_id != actor.org_id:
            raise NotFound("not_found", _("No %s with this id.") % obj._meta.verbose_name)
    if latest is not None and latest < earliest:
        raise Invalid.field("latest", _("Must not be before the earliest date."))
    if window is not None and not window[0] < window[1]:
        raise Invalid.field("window", _("The window must end after it starts."))
    if not 1 <= duration_min <= 720:
        raise Invalid.field("duration_min", _("Give a duration between 1 and 720 minutes."))
    if plan is not None and plan.patient_id != patient.pk:
        raise Invalid.field("plan", _("This plan is for another patient."))
    entry = WaitlistEntry.objects.create(
        organization_id=actor.org_id,
        patient=patient,
        location=location,
        practitioner=practitioner,
        plan=plan,
        course_index=course_index,
        earliest=earliest,
        latest=latest,
        window_start=window[0] if window else None,
        window_end=window[1] if window else None,
        duration_min=duration_min,
        notes=notes,
        created_by=actor.user,
    )
    record(
        actor,
        AuditAction.CREATE,
        entry,
        patient_id=patient.pk,
        summary=f"waitlist from {earliest}",
        channel=channel,
    )
    return entry


def list_waitlist(
    actor: Actor,
    *,
    location: int | None = None,
    status: str | None = None,
    patient: int | None = None,
) -> QuerySet[WaitlistEntry]:
    actor.require(Perm.SCHEDULE_VIEW)
    qs = WaitlistEntry.objects.for_org(actor.org_id).select_related(
        "patient", "location", "practitioner__user"
    )
    if location is not None:
        qs = qs.filter(location_id=location)
    if status is not None:
        qs = qs.filter(status=status)
    if patient is not None:
        qs = qs.filter(patient_id=patient)
    return qs.order_by("created_at", "id")


def _fits(entry: WaitlistEntry, start: dt.datetime, end: dt.datetime) -> bool:
    tz = entry.location.tz
    local_start = start.astimezone(tz)
    local_end = local_start + dt.timedelta(minutes=entry.duration_min)
    if local_end > end.astimezone(tz) or local_end.date() != local_start.date():
        return False
    day = local_start.date()
    if day < entry.earliest or (entry.latest is not None and day > entry.latest):
        return False
    if entry.window_start is not None and local_start.time() < entry.window_start:
        return False
    return not (entry.window_end is not None and local_end.time() > entry.window_end)


def offer_freed_slot(
    actor: Actor,
    freed: Appointment,
    start: dt.datetime,
    end: dt.datetime,
    practitioner: Membership,
    room: Room,
) -> WaitlistEntry | None:
    """Offer ``[start, end)`` (just freed by ``freed``) to the first waiter it suits: oldest
    entry first, same location, the practitioner they asked for (if any), inside their dates
    and time-of-day window, long enough, and while the patient is free then. Called inside
    the transaction that frees the slot."""
    if start <= timezone.now():
        return None
    waiting = (
        WaitlistEntry.objects.for_org(actor.org_id)
        .filter(location_id=freed.location_id, status=WaitlistStatus.WAITING)
        .filter(Q(practitioner__isnull=True) | Q(practitioner_id=practitioner.pk))
        .exclude(patient_id=freed.patient_id)
        .select_related("location")
        .order_by("created_at", "id")
    )
    for entry in waiting:
        if not _fits(entry, start, end):
            continue
        slot_end = start + dt.timedelta(minutes=entry.duration_min)
        still_free = not (
            active_meeting(Appointment.objects.for_org(actor.org_id), start, slot_end)
            .filter(
                Q(patient_id=entry.patient_id)
                | Q(practitioner_id=practitioner.pk)
                | Q(room_id=room.pk)
            )
            .exists()
        )
        if not still_free:
            continue
        entry.status = WaitlistStatus.OFFERED
        entry.offered_appointment = freed
        entry.offered_start, entry.offered_end = start, slot_end
        entry.offered_practitioner, entry.offered_room = practitioner, room
        entry.offered_at = timezone.now()
        entry.save()
        queued = hooks.enqueue_waitlist_offer(actor, entry)
        record(
            actor,
            AuditAction.UPDATE,
            entry,
            patient_id=entry.patient_id,
            summary=f"offered the slot {start.isoformat()} freed by appointment {freed.pk}"
            + (" (message queued)" if queued else ""),
            channel="system",
        )
        return entry
    return None


def _open_entry(actor: Actor, entry: WaitlistEntry) -> None:
    actor.require(Perm.SCHEDULE_EDIT)
    if entry.organization_id != actor.org_id:
        raise NotFound("not_found", _("No waitlist entry with id %s.") % entry.pk)


def accept_offer(actor: Actor, entry: WaitlistEntry, *, channel: str = "api") -> Appointment:
    """The patient takes the offered slot: it is booked (409 if it was taken meanwhile)."""
    from mesocare.scheduling.services.appointments import book_appointment

    _open_entry(actor, entry)
    if entry.status != WaitlistStatus.OFFERED or entry.offered_start is None:
        raise Conflict("no_offer", _("This waitlist entry has no open offer."))
    assert entry.offered_practitioner is not None and entry.offered_room is not None
    appointment = book_appointment(
        actor,
        patient=entry.patient,
        practitioner=entry.offered_practitioner,
        room=entry.offered_room,
        start=entry.offered_start,
        duration_min=entry.duration_min,
        plan=entry.plan,
        course_index=entry.course_index if entry.plan is not None else None,
        channel=channel,
    )
    entry.status = WaitlistStatus.BOOKED
    entry.booked_appointment = appointment
    entry.save(update_fields=["status", "booked_appointment"])
    record(actor, AuditAction.UPDATE, entry, patient_id=entry.patient_id, summary="offer accepted")
    return appointment


def withdraw(actor: Actor, entry: WaitlistEntry, *, channel: str = "api") -> WaitlistEntry:
    """The patient no longer waits (or declined the offer)."""
    _open_entry(actor, entry)
    if entry.status == WaitlistStatus.BOOKED:
        raise Conflict("already_booked", _("This waitlist entry already led to a booking."))
    entry.status = WaitlistStatus.CANCELLED
    entry.save(update_fields=["status"])
    record(
        actor, AuditAction.UPDATE, entry, patient_id=entry.patient_id, summary="left the waitlist"
    )
    return entry


def waitlist_payload(entry: WaitlistEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "patient": entry.patient_id,
        "location": entry.location_id,
        "practitioner": entry.practitioner_id,
        "plan": entry.plan_id,
        "course_index": entry.course_index,
        "earliest": entry.earliest,
        "latest": entry.latest,
        "window": None
        if entry.window_start is None or entry.window_end is None
        else {"start": entry.window_start, "end": entry.window_end},
        "duration_min": entry.duration_min,
        "status": entry.status,
        "notes": entry.notes,
        "offer": None
        if entry.offered_start is None
        else {
            "start": entry.offered_start,
            "end": entry.offered_end,
            "practitioner": entry.offered_practitioner_id,
            "room": entry.offered_room_id,
            "freed_by": entry.offered_appointment_id,
            "at": entry.offered_at,
        },
        "booked_appointment": entry.booked_appointment_id,
        "created_at": entry.created_at,
    }
