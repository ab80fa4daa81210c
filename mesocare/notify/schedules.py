"""Which messages an appointment, a signed session or a completed plan causes, and when.

All helpers are idempotent (keys derive from the object and, for appointments, its start
time), so calling one twice, or from both a service and a signal, writes each message once.
They read objects duck-typed, so they work with scheduling's `Appointment` (patient, location,
start, end, status, plan or planned_session.plan) and charting's `TreatmentSession`
(appointment, patient, signed_at).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo
from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Q
from django.utils import timezone

from mesocare.core.planning import maintenance_due
from mesocare.notify.bulk import Enqueued, NewMessage, enqueue_many
from mesocare.notify.choices import MessageKind, MessageStatus
from mesocare.notify.links import CheckInLink, PreCareLink, RecallLink
from mesocare.notify.models import OutboxMessage
from mesocare.notify.outbox import OPEN_STATUSES, cancel_pending, default_timezone, enqueue

if TYPE_CHECKING:
    from mesocare.catalog.models import InstructionSet
    from mesocare.plans.models import TreatmentPlan

REMINDER_BEFORE = dt.timedelta(hours=24)
CHECK_INS = ((MessageKind.CHECK_IN_24H, "24h", 24), (MessageKind.CHECK_IN_72H, "72h", 72))
RECALL_LOCAL_TIME = dt.time(10, 0)
CANCELLED_APPOINTMENT = {"cancelled", "canceled", "no_show"}
COURSE_KEY_PREFIX = "course:"


def plan_of(obj: Any) -> TreatmentPlan | None:
    """The treatment plan behind an appointment or a session, if any."""
    if obj is None:
        return None
    plan = getattr(obj, "plan", None)
    if plan is None:
        planned = getattr(obj, "planned_session", None)
        plan = getattr(planned, "plan", None)
    if plan is None and hasattr(obj, "appointment"):
        return plan_of(obj.appointment)
    return plan


def instructions_payload(instruction_set: InstructionSet | None) -> dict[str, Any] | None:
    if instruction_set is None:
        return None
    items = []
    for item in instruction_set.items:
        timing = item.get("timing") or {}
        items.append(
            {
                "code": item["code"],
                "text": item["text"],
                "hours_before": timing.get("hours_before"),
            }
        )
    return {"code": instruction_set.code, "name": instruction_set.name, "items": items}


def _context(patient: Any, location: Any) -> dict[str, Any]:
    org = patient.organization
    return {
        "patient_name": patient.given_name,
        "clinic": org.name,
        "location": getattr(location, "name", ""),
        "address": getattr(location, "address", ""),
        "phone": getattr(location, "phone", ""),
    }


def _tz_of(location: Any, org_id: int) -> str:
    return getattr(location, "timezone", None) or default_timezone(org_id)


def _appointment_key(appointment: Any, kind: str) -> str:
    return f"appointment:{appointment.pk}:{kind}:{int(appointment.start.timestamp())}"


def _confirmations_sent(org_id: int, appointment: Any, plan: Any) -> int:
    """How many confirmations of this appointment went out: its own, and the course
    confirmations (one message listing a whole course) that listed it. None can have for an
    appointment the caller's transaction has just inserted: its id is new (ids are never
    reused), a message naming it (its own or a course's) is written by this transaction's
    receivers at the earliest, and only a committed message is ever sent; so a new booking
    skips this query (`created`)."""
    query = Q(appointment_id=appointment.pk)
    if plan is not None:
        query |= Q(plan_id=plan.pk, idempotency_key__startswith=COURSE_KEY_PREFIX)
    rows = OutboxMessage.objects.filter(
        query,
        organization_id=org_id,
        kind=MessageKind.BOOKING_CONFIRMATION,
        status=MessageStatus.SENT,
    ).values_list("idempotency_key", "payload")
    return sum(
        1
        for key, payload in rows
        if not key.startswith(COURSE_KEY_PREFIX)
        or any(s.get("appointment") == appointment.pk for s in payload.get("sessions", []))
    )


def schedule_booking_messages(
    appointment: Any, *, now: dt.datetime | None = None, confirm: bool = True
) -> list[OutboxMessage]:
    """See `booking_messages`; writes them (one `enqueue_many`) and returns their rows."""
    messages = booking_messages(appointment, now=now, confirm=confirm)
    if not messages:
        return []
    return enqueue_many(appointment.patient.organization_id, messages).messages()


def booking_messages(
    appointment: Any,
    *,
    now: dt.datetime | None = None,
    confirm: bool = True,
    created: bool = False,
) -> list[NewMessage]:
    """Booking confirmation (now, with .ics), the pre-care message when some preparation must
    start more than 24 h before, and the reminder 24 h before with the protocol's pre-care
    and the pre-care confirmation link. Call inside the booking transaction. `confirm=False`
    leaves out the confirmation (a course gets one listing every session, see
    `schedule_course_messages`). `created`: the caller's transaction inserted the
    appointment, so no confirmation of it can have been sent (see `_confirmations_sent`)."""
    now = now or timezone.now()
    patient = appointment.patient
    org_id = patient.organization_id
    if str(getattr(appointment, "status", "")) in CANCELLED_APPOINTMENT:
        return []
    plan = plan_of(appointment)
    protocol = plan.protocol if plan is not None else None
    pre_care = instructions_payload(protocol.pre_care if protocol is not None else None)
    tz = _tz_of(appointment.location, org_id)
    earlier = _confirmations_sent(org_id, appointment, plan) if confirm and not created else 0
    base = {
        **_context(patient, appointment.location),
        "starts_at": appointment.start.isoformat(),
        "ends_at": appointment.end.isoformat(),
        "title": protocol.name if protocol is not None else "Appointment",
        "instructions": pre_care,
    }
    precare_link = []
    if pre_care and pre_care["items"]:
        link = PreCareLink(
            organization=org_id,
            patient=patient.pk,
            appointment=appointment.pk,
            instruction_set=pre_care["code"],
        )
        precare_link = [link.message_link("precare_url")]
    related = {"appointment": appointment.pk, "plan": plan.pk if plan else None}
    out: list[NewMessage] = []
    if confirm:
        out.append(
            NewMessage(
                patient,
                MessageKind.BOOKING_CONFIRMATION,
                now,
                {**base, "ics": True, "rescheduled": earlier > 0, "sequence": earlier},
                _appointment_key(appointment, "booking_confirmation"),
                related=related,
                tz=tz,
            )
        )
    lead_hours = max(
        (i["hours_before"] or 0 for i in (pre_care or {"items": []})["items"]), default=0
    )
    pre_care_due = appointment.start - dt.timedelta(hours=lead_hours)
    if lead_hours > REMINDER_BEFORE.total_seconds() / 3600 and pre_care_due > now:
        out.append(
            NewMessage(
                patient,
                MessageKind.PRE_CARE,
                pre_care_due,
                {**base, "links": precare_link},
                _appointment_key(appointment, "pre_care"),
                related=related,
                tz=tz,
            )
        )
    reminder_due = appointment.start - REMINDER_BEFORE
    if reminder_due > now:
        out.append(
            NewMessage(
                patient,
                MessageKind.REMINDER,
                reminder_due,
                {**base, "links": precare_link},
                _appointment_key(appointment, "reminder"),
                related=related,
                tz=tz,
            )
        )
    return out


def schedule_course_messages(
    appointments: Sequence[Any], *, now: dt.datetime | None = None
) -> list[OutboxMessage]:
    """See `enqueue_course_messages`; returns the rows of its messages."""
    return enqueue_course_messages(appointments, now=now).messages()


def enqueue_course_messages(
    appointments: Sequence[Any],
    *,
    now: dt.datetime | None = None,
    created_ids: Collection[int] = (),
) -> Enqueued:
    """Several appointments booked together (a course): ONE confirmation listing every
    session (local time with zone, location; one .ics with an event per session), and each
    appointment's own pre-care message and reminder. One appointment keeps its single
    confirmation. The confirmation's key names the appointments and their times, so a
    retried booking of the same course writes no second message. `created_ids`: the
    appointments the caller's transaction inserted (the others were moved), whose earlier
    confirmations need no query. Returns what was written, without reading the rows back
    (the booking's receiver has no use for them)."""
    now = now or timezone.now()
    live = [a for a in appointments if str(getattr(a, "status", "")) not in CANCELLED_APPOINTMENT]
    if not live:
        return Enqueued()
    if len(live) == 1:
        single = live[0]
        messages = booking_messages(single, now=now, created=single.pk in created_ids)
        if not messages:
            return Enqueued()
        return enqueue_many(single.patient.organization_id, messages)
    live.sort(key=lambda a: (a.start, a.pk))
    out = [m for a in live for m in booking_messages(a, now=now, confirm=False)]
    first = live[0]
    patient = first.patient
    org_id = patient.organization_id
    plan = plan_of(first)
    protocol = plan.protocol if plan is not None else None
    sessions = []
    for a in live:
        sequence = 0 if a.pk in created_ids else _confirmations_sent(org_id, a, plan)
        sessions.append(
            {
                "appointment": a.pk,
                "index": getattr(a, "course_index", None),
                "starts_at": a.start.isoformat(),
                "ends_at": a.end.isoformat(),
                "timezone": _tz_of(a.location, org_id),
                "location": getattr(a.location, "name", ""),
                "address": getattr(a.location, "address", ""),
                "sequence": sequence,
            }
        )
    booked = ",".join(f"{a.pk}@{int(a.start.timestamp())}" for a in live)
    digest = hashlib.sha256(booked.encode()).hexdigest()[:32]
    scope = f"plan:{plan.pk}" if plan is not None else f"patient:{patient.pk}"
    confirmation = NewMessage(
        patient,
        MessageKind.BOOKING_CONFIRMATION,
        now,
        {
            **_context(patient, first.location),
            "starts_at": first.start.isoformat(),
            "ends_at": first.end.isoformat(),
            "title": protocol.name if protocol is not None else "Appointment",
            "instructions": instructions_payload(
                protocol.pre_care if protocol is not None else None
            ),
            "sessions": sessions,
            "ics": True,
            "rescheduled": any(s["sequence"] for s in sessions),
        },
        f"{COURSE_KEY_PREFIX}{scope}:booking_confirmation:{digest}",
        related={"plan": plan.pk if plan is not None else None},
        template="course_confirmation",
        tz=_tz_of(first.location, org_id),
    )
    # Every session's pre-care and reminder and the one confirmation: one INSERT.
    return enqueue_many(org_id, [*out, confirmation])


def reschedule_for_appointment(
    appointment: Any, *, now: dt.datetime | None = None
) -> list[OutboxMessage]:
    """The appointment moved (or changed status): cancel its pending messages made for the old
    time and schedule those for the new one (a confirmation marked "moved" included)."""
    if str(getattr(appointment, "status", "")) in CANCELLED_APPOINTMENT:
        cancel_for_appointment(appointment)
        return []
    suffix = f":{int(appointment.start.timestamp())}"
    stale = OutboxMessage.objects.filter(
        organization_id=appointment.patient.organization_id, appointment_id=appointment.pk
    ).exclude(idempotency_key__endswith=suffix)
    cancel_pending(stale, "appointment moved")
    return schedule_booking_messages(appointment, now=now)


def cancel_for_appointment(appointment: Any) -> int:
    """The appointment was cancelled: its messages that have not gone out never will."""
    qs = OutboxMessage.objects.filter(
        organization_id=appointment.patient.organization_id, appointment_id=appointment.pk
    )
    return cancel_pending(qs, "appointment cancelled")


def schedule_aftercare(session: Any, *, now: dt.datetime | None = None) -> list[OutboxMessage]:
    """Aftercare right after signing, from the protocol's aftercare set, and side-effect
    check-ins 24 h and 72 h later with a signed link to the check-in form."""
    now = now or timezone.now()
    appointment = getattr(session, "appointment", None)
    patient = getattr(session, "patient", None) or getattr(appointment, "patient", None)
    if patient is None:
        raise ValueError("a session without a patient")
    org_id = patient.organization_id
    signed_at = getattr(session, "signed_at", None) or now
    location = getattr(appointment, "location", None) or getattr(session, "location", None)
    plan = plan_of(session)
    protocol = getattr(session, "protocol", None) or (plan.protocol if plan is not None else None)
    aftercare = instructions_payload(protocol.aftercare if protocol is not None else None)
    tz = _tz_of(location, org_id)
    base = _context(patient, location)
    related = {
        "session": session.pk,
        "appointment": getattr(appointment, "pk", None),
        "plan": plan.pk if plan else None,
    }
    out: list[OutboxMessage | None] = [
        enqueue(
            org_id,
            patient,
            MessageKind.AFTERCARE,
            due_at=signed_at,
            payload={**base, "instructions": aftercare},
            idempotency_key=f"session:{session.pk}:aftercare",
            related=related,
            tz=tz,
        )
    ]
    for kind, label, hours in CHECK_INS:
        checkin = CheckInLink(
            organization=org_id, patient=patient.pk, session=session.pk, when=label
        )
        out.append(
            enqueue(
                org_id,
                patient,
                kind,
                due_at=signed_at + dt.timedelta(hours=hours),
                payload={**base, "links": [checkin.message_link("checkin_url")]},
                idempotency_key=f"session:{session.pk}:{kind}",
                related=related,
                tz=tz,
            )
        )
    return [m for m in out if m is not None]


def schedule_maintenance_recall(plan: TreatmentPlan) -> OutboxMessage | None:
    """At plan completion: a recall on the maintenance due date (10:00 local) with a link to
    ask for an appointment. Nothing when the protocol has no maintenance interval."""
    due_on = plan.maintenance_due_on
    if due_on is None and plan.completed_on is not None:
        due_on = maintenance_due(plan.completed_on, plan.maintenance_interval_days)
    if due_on is None:
        return None
    org_id = plan.organization_id
    tz = default_timezone(org_id)
    due_at = dt.datetime.combine(due_on, RECALL_LOCAL_TIME, tzinfo=zoneinfo.ZoneInfo(tz))
    key = f"plan:{plan.pk}:maintenance_recall:{due_on.isoformat()}"
    stale = OutboxMessage.objects.filter(
        organization_id=org_id, plan_id=plan.pk, kind=MessageKind.MAINTENANCE_RECALL
    ).exclude(idempotency_key=key)
    cancel_pending(stale.filter(status__in=OPEN_STATUSES), "maintenance date changed")
    patient = plan.patient
    recall = RecallLink(organization=org_id, patient=patient.pk, plan=plan.pk)
    return enqueue(
        org_id,
        patient,
        MessageKind.MAINTENANCE_RECALL,
        due_at=due_at,
        payload={
            **_context(patient, None),
            "protocol_name": plan.protocol.name,
            "due_on": due_on.isoformat(),
            "links": [recall.message_link("recall_url")],
        },
        idempotency_key=key,
        related={"plan": plan.pk},
        tz=tz,
    )


def schedule_waitlist_offer(entry: Any, *, now: dt.datetime | None = None) -> OutboxMessage | None:
    """A freed slot offered to a waiting patient (scheduling's waitlist)."""
    if entry.offered_start is None:
        return None
    patient = entry.patient
    org_id = patient.organization_id
    tz = _tz_of(entry.location, org_id)
    local = entry.offered_start.astimezone(zoneinfo.ZoneInfo(tz))
    body = (
        f"An earlier appointment is free on {local:%A %d %B %Y at %H:%M} "
        f"at {entry.location.name}. Call us to take it."
    )
    return enqueue(
        org_id,
        patient,
        MessageKind.WAITLIST_OFFER,
        due_at=now or timezone.now(),
        payload={
            **_context(patient, entry.location),
            "subject": "An earlier appointment is free",
            "body": body,
            "starts_at": entry.offered_start.isoformat(),
        },
        idempotency_key=f"waitlist:{entry.pk}:offer:{int(entry.offered_start.timestamp())}",
        related={"plan": getattr(entry, "plan_id", None)},
        tz=tz,
    )


def recall_notice(
    patient: Any, lot: Any, *, treated_at: dt.datetime, now: dt.datetime | None = None
) -> NewMessage:
    """The notice telling a patient that a product lot used in their treatment was recalled
    (its key names the lot and the patient: once per lot, however often it is asked)."""
    org_id = patient.organization_id
    location = lot.location
    tz = _tz_of(location, org_id)
    treated = treated_at.astimezone(zoneinfo.ZoneInfo(tz))
    body = (
        f"The supplier of {lot.product.name} has recalled lot {lot.lot_number}, which was used "
        f"in your treatment on {treated:%d %B %Y}. Please call us so we can check how you are "
        "and answer your questions."
    )
    return NewMessage(
        patient,
        MessageKind.RECALL_NOTICE,
        now or timezone.now(),
        {
            **_context(patient, location),
            "subject": "A product used in your treatment was recalled",
            "body": body,
            "lot": lot.lot_number,
        },
        f"lot-recall:{lot.pk}:patient:{patient.pk}",
        tz=tz,
    )


def schedule_recall_notice(
    patient: Any, lot: Any, *, treated_at: dt.datetime, now: dt.datetime | None = None
) -> OutboxMessage | None:
    """Tell a patient that a product lot used in their treatment was recalled (once per lot)."""
    m = recall_notice(patient, lot, treated_at=treated_at, now=now)
    return enqueue(
        patient.organization_id,
        patient,
        m.kind,
        due_at=m.due_at,
        payload=m.payload,
        idempotency_key=m.idempotency_key,
        tz=m.tz,
    )


def schedule_recall_notices(
    lot: Any, treated: Sequence[tuple[Any, dt.datetime]], *, now: dt.datetime | None = None
) -> Enqueued:
    """Every recipient of a recalled lot at once, (patient, first treated at) each, in one
    `enqueue_many`: a patient already told is not told again. The patients belong to the
    lot's organization."""
    now = now or timezone.now()
    return enqueue_many(
        lot.organization_id,
        [recall_notice(patient, lot, treated_at=at, now=now) for patient, at in treated],
    )
