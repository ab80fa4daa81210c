"""The waitlist: patients who would take an earlier slot, offered one when a slot frees."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import SYSTEM, record, record_system
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import require_in_org
from mesocare.core.scheduling.durations import MAX_DURATION_MIN, MIN_DURATION_MIN, duration_ok
from mesocare.errors import Conflict, Invalid
from mesocare.patients.models import Patient
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.choices import AppointmentStatus, WaitlistStatus
from mesocare.scheduling.models import Appointment, WaitlistEntry, WaitlistOffer
from mesocare.scheduling.overlap import active_meeting
from mesocare.scheduling.services import hooks

log = logging.getLogger(__name__)
# What an open offer sets on its entry, cleared when the offer ends.
OFFER_FIELDS = (
    "status",
    "offered_appointment",
    "offered_start",
    "offered_end",
    "offered_practitioner",
    "offered_room",
    "offered_at",
    "offer_expires_at",
)


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
    require_in_org(actor, patient, location, practitioner, plan)
    if latest is not None and latest < earliest:
        raise Invalid.field("latest", _("Must not be before the earliest date."))
    if window is not None and not window[0] < window[1]:
        raise Invalid.field("window", _("The window must end after it starts."))
    if not duration_ok(duration_min):
        raise Invalid.field(
            "duration_min",
            _("Give a duration between %(min)d and %(max)d minutes.")
            % {"min": MIN_DURATION_MIN, "max": MAX_DURATION_MIN},
        )
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


def _audit(
    actor: Actor | None,
    entry: WaitlistEntry,
    summary: str,
    *,
    channel: str = SYSTEM,
) -> None:
    """An UPDATE of the entry by `actor`, or by the worker itself (no user) when None."""
    if actor is None:
        record_system(
            entry.organization_id,
            AuditAction.UPDATE,
            entry,
            patient_id=entry.patient_id,
            summary=summary,
        )
    else:
        record(
            actor,
            AuditAction.UPDATE,
            entry,
            patient_id=entry.patient_id,
            summary=summary,
            channel=channel,
        )


def _already_offered(freed: Appointment, start: dt.datetime) -> set[int]:
    """Entries this slot was offered to before."""
    offers = WaitlistOffer.objects.for_org(freed.organization_id).filter(freed=freed, start=start)
    return set(offers.values_list("entry_id", flat=True))


def offer_expiry(start: dt.datetime, offered_at: dt.datetime) -> dt.datetime:
    """`WAITLIST_OFFER_HOURS` after the offer, but never after the slot starts."""
    return min(offered_at + dt.timedelta(hours=settings.WAITLIST_OFFER_HOURS), start)


def offer_freed_slot(
    actor: Actor | None,
    freed: Appointment,
    start: dt.datetime,
    end: dt.datetime,
    practitioner: Membership,
    room: Room,
    *,
    exclude: Iterable[int] = (),
) -> WaitlistEntry | None:
    """Offer ``[start, end)`` (just freed by ``freed``) to the first waiter it suits: oldest
    entry first, same location, the practitioner they asked for (if any), inside their dates
    and time-of-day window, long enough, and while the patient is free then. Entries in
    `exclude` (ids: those the slot was offered to already) are skipped. Called inside the
    transaction that frees the slot, or that ends the previous offer of it (`actor` None: the
    worker, after an offer expired)."""
    if start <= timezone.now():
        return None
    org_id = freed.organization_id
    waiting = (
        WaitlistEntry.objects.for_org(org_id)
        .filter(location_id=freed.location_id, status=WaitlistStatus.WAITING)
        .filter(Q(practitioner__isnull=True) | Q(practitioner_id=practitioner.pk))
        .exclude(patient_id=freed.patient_id)
        .exclude(pk__in=list(exclude))
        .select_related("location")
        .order_by("created_at", "id")
    )
    for entry in waiting:
        if not _fits(entry, start, end):
            continue
        slot_end = start + dt.timedelta(minutes=entry.duration_min)
        still_free = not (
            active_meeting(Appointment.objects.for_org(org_id), start, slot_end)
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
        entry.offer_expires_at = offer_expiry(start, entry.offered_at)
        entry.save()
        WaitlistOffer.objects.create(
            organization_id=entry.organization_id, entry=entry, freed=freed, start=start
        )
        queued = hooks.enqueue_waitlist_offer(actor, entry)
        _audit(
            actor,
            entry,
            f"offered the slot {start.isoformat()} freed by appointment {freed.pk}"
            + (" (message queued)" if queued else ""),
        )
        return entry
    return None


def _clear_offer(entry: WaitlistEntry, status: str) -> None:
    entry.status = status
    entry.offered_appointment = None
    entry.offered_start = entry.offered_end = None
    entry.offered_practitioner = None
    entry.offered_room = None
    entry.offered_at = entry.offer_expires_at = None
    entry.save(update_fields=list(OFFER_FIELDS))


def _end_offer(
    actor: Actor | None,
    entry: WaitlistEntry,
    status: str,
    summary: str,
    *,
    channel: str = SYSTEM,
) -> WaitlistEntry | None:
    """Close the entry's open offer (the entry becomes `status`), audit it, and offer the slot
    to the next matching waiter (never one it was offered to already). Returns that waiter's
    entry, if any. Run inside a transaction that holds the entry's row."""
    freed = entry.offered_appointment
    start, offered_end = entry.offered_start, entry.offered_end
    practitioner, room = entry.offered_practitioner, entry.offered_room
    _clear_offer(entry, status)
    _audit(actor, entry, summary, channel=channel)
    if None in (freed, start, offered_end, practitioner, room):
        return None
    assert freed is not None and start is not None and offered_end is not None
    assert practitioner is not None and room is not None
    # The slot's full length is known when its appointment was cancelled; a slot left by a
    # move keeps the length offered (its earlier end is not stored).
    end = offered_end
    if freed.status == AppointmentStatus.CANCELLED and freed.start == start:
        end = max(freed.end, offered_end)
    exclude = _already_offered(freed, start) | {entry.pk}
    return offer_freed_slot(actor, freed, start, end, practitioner, room, exclude=exclude)


def _locked(queryset: QuerySet[WaitlistEntry]) -> QuerySet[WaitlistEntry]:
    """Lock the rows on PostgreSQL, skipping those another worker holds (SQLite serializes
    write transactions instead)."""
    if connection.features.has_select_for_update_skip_locked:
        return queryset.select_for_update(skip_locked=True, of=("self",))
    return queryset


def _held(entry: WaitlistEntry) -> WaitlistEntry:
    """The entry re-read under a row lock, with what ending its offer needs."""
    qs = WaitlistEntry.objects.filter(pk=entry.pk)
    if connection.features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    return qs.get()


def _expire_one(pk: int, now: dt.datetime) -> bool:
    with transaction.atomic():
        entry = (
            _locked(
                WaitlistEntry.objects.filter(
                    pk=pk, status=WaitlistStatus.OFFERED, offer_expires_at__lte=now
                )
            )
            .order_by()
            .first()
        )
        if entry is None:  # answered meanwhile, or another worker has it
            return False
        _end_offer(None, entry, WaitlistStatus.WAITING, "offer expired; waiting again")
    return True


def expire_offers(now: dt.datetime | None = None, *, limit: int = 500) -> int:
    """Offers not answered by their `offer_expires_at`: each entry waits again and its slot
    goes to the next matching waiter. One transaction per entry; run by `mesocare worker`.
    Returns how many offers expired. (A job of the whole installation: every organization.)"""
    now = now or timezone.now()
    due = (
        WaitlistEntry.objects.filter(status=WaitlistStatus.OFFERED, offer_expires_at__lte=now)
        .order_by("offer_expires_at", "id")
        .values_list("pk", flat=True)[:limit]
    )
    expired = 0
    for pk in list(due):
        try:
            expired += _expire_one(pk, now)
        except Exception:  # one broken entry must not stop the others
            log.exception("waitlist entry %s: the expired offer could not be passed on", pk)
    return expired


def _open_entry(actor: Actor, entry: WaitlistEntry) -> None:
    actor.require(Perm.SCHEDULE_EDIT)
    require_in_org(actor, entry)


def accept_offer(actor: Actor, entry: WaitlistEntry, *, channel: str = "api") -> Appointment:
    """The patient takes the offered slot: it is booked. 409 `offer_expired` after the offer's
    expiry (the slot then goes to the next waiter); when the booking is refused (the slot was
    taken meanwhile) the entry waits again and the 409 is raised."""
    from mesocare.scheduling.services.appointments import book_appointment

    _open_entry(actor, entry)
    if entry.status != WaitlistStatus.OFFERED or entry.offered_start is None:
        raise Conflict("no_offer", _("This waitlist entry has no open offer."))
    if entry.offer_expires_at is not None and entry.offer_expires_at <= timezone.now():
        _expire_one(entry.pk, timezone.now())
        raise Conflict("offer_expired", _("This offer has expired; the slot was passed on."))
    assert entry.offered_practitioner is not None and entry.offered_room is not None
    try:
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
    except Conflict as refused:
        with transaction.atomic():
            held = _held(entry)
            if held.status == WaitlistStatus.OFFERED:
                # The slot is gone (or this patient cannot take it): wait again. Whoever
                # else fits it, if it is still free, is offered it.
                _end_offer(
                    actor,
                    held,
                    WaitlistStatus.WAITING,
                    f"accepting the offer failed ({refused.code}); waiting again",
                    channel=channel,
                )
        entry.refresh_from_db()
        raise
    entry.status = WaitlistStatus.BOOKED
    entry.booked_appointment = appointment
    entry.offer_expires_at = None
    entry.save(update_fields=["status", "booked_appointment", "offer_expires_at"])
    _audit(actor, entry, "offer accepted", channel=channel)
    return appointment


def decline_offer(actor: Actor, entry: WaitlistEntry, *, channel: str = "api") -> WaitlistEntry:
    """The patient does not want the offered slot but keeps waiting: the entry waits again and
    the slot is offered to the next matching waiter."""
    _open_entry(actor, entry)
    with transaction.atomic():
        held = _held(entry)
        if held.status != WaitlistStatus.OFFERED or held.offered_start is None:
            raise Conflict("no_offer", _("This waitlist entry has no open offer."))
        _end_offer(
            actor,
            held,
            WaitlistStatus.WAITING,
            "offer declined; waiting again",
            channel=channel,
        )
    entry.refresh_from_db()
    return entry


def withdraw(actor: Actor, entry: WaitlistEntry, *, channel: str = "api") -> WaitlistEntry:
    """The patient no longer waits; a slot they were offered goes to the next waiter."""
    _open_entry(actor, entry)
    with transaction.atomic():
        held = _held(entry)
        if held.status == WaitlistStatus.BOOKED:
            raise Conflict("already_booked", _("This waitlist entry already led to a booking."))
        if held.status == WaitlistStatus.OFFERED and held.offered_start is not None:
            _end_offer(
                actor,
                held,
                WaitlistStatus.CANCELLED,
                "left the waitlist (offer declined)",
                channel=channel,
            )
        else:
            held.status = WaitlistStatus.CANCELLED
            held.save(update_fields=["status"])
            _audit(actor, held, "left the waitlist", channel=channel)
    entry.refresh_from_db()
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
        "offer_expires_at": entry.offer_expires_at,
        "booked_appointment": entry.booked_appointment_id,
        "created_at": entry.created_at,
    }
