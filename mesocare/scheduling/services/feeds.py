"""iCalendar (RFC 5545) feeds per practitioner and per patient, at revocable token URLs."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import require_in_org
from mesocare.errors import Conflict, Invalid, NotFound
from mesocare.patients.models import Patient
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment, CalendarFeed, hash_feed_token

# Events from this many days back, and every future one.
PAST_DAYS = 60


def create_feed(
    actor: Actor,
    *,
    practitioner: Membership | None = None,
    patient: Patient | None = None,
    channel: str = "api",
) -> tuple[CalendarFeed, str]:
    """A new feed and its token (shown once: only its hash is stored). Anyone may make a feed
    of their own appointments; feeds of colleagues or patients need `schedule.edit`."""
    if (practitioner is None) == (patient is None):
        raise Invalid.field("practitioner", _("Give either a practitioner or a patient."))
    owner = practitioner or patient
    assert owner is not None
    require_in_org(actor, owner)
    actor.require(
        Perm.SCHEDULE_VIEW
        if practitioner is not None and practitioner.pk == actor.membership.pk
        else Perm.SCHEDULE_EDIT
    )
    raw = CalendarFeed.new_token()
    feed = CalendarFeed.objects.create(
        organization_id=actor.org_id,
        token_hash=hash_feed_token(raw),
        practitioner=practitioner,
        patient=patient,
        created_by=actor.membership,
    )
    record(
        actor,
        AuditAction.CREATE,
        feed,
        patient_id=patient.pk if patient is not None else None,
        summary="calendar feed created",
        channel=channel,
    )
    return feed, raw


def list_feeds(actor: Actor) -> QuerySet[CalendarFeed]:
    actor.require(Perm.SCHEDULE_VIEW)
    qs = CalendarFeed.objects.for_org(actor.org_id)
    if not actor.can(Perm.SCHEDULE_EDIT):
        qs = qs.filter(created_by=actor.membership)
    return qs


def revoke_feed(actor: Actor, feed: CalendarFeed, *, channel: str = "api") -> CalendarFeed:
    require_in_org(actor, feed)
    if feed.created_by_id != actor.membership.pk:
        actor.require(Perm.SCHEDULE_EDIT)
    if feed.revoked_at is not None:
        raise Conflict("already_revoked", _("This feed is already revoked."))
    feed.revoked_at = timezone.now()
    feed.save(update_fields=["revoked_at"])
    record(
        actor,
        AuditAction.DELETE,
        feed,
        patient_id=feed.patient_id,
        summary="calendar feed revoked",
        channel=channel,
    )
    return feed


def _precare_text(appointment: Appointment) -> str:
    plan = appointment.plan
    instructions = plan.protocol.pre_care if plan is not None else None
    if instructions is None:
        return ""
    lines = [str(item.get("text", "")) for item in instructions.items if item.get("text")]
    return "\n".join([instructions.name, *(f"- {line}" for line in lines)])


def _event(appointment: Appointment, for_patient: bool, now: dt.datetime) -> Event:
    event = Event()
    # Same UID as the booking confirmation's .ics (notify): one entry per appointment.
    event.add("uid", f"appointment-{appointment.pk}@mesocare")
    event.add("dtstamp", now)
    event.add("last-modified", appointment.updated_at)
    event.add("sequence", int(appointment.updated_at.timestamp()) % 2_000_000_000)
    event.add("dtstart", appointment.start)
    event.add("dtend", appointment.end)
    location = appointment.location
    place = ", ".join(p for p in (location.name, appointment.room.name, location.address) if p)
    event.add("location", place)
    cancelled = appointment.status in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    lines = [
        _("Location: %s") % location.name,
        _("Room: %s") % appointment.room.name,
    ]
    if for_patient:
        event.add("summary", _("Appointment at %s") % location.name)
        precare = _precare_text(appointment)
        if precare:
            lines += ["", precare]
    else:
        patient = appointment.patient
        event.add("summary", f"{patient.given_name[:1]}. {patient.family_name}")
        if appointment.course_index and appointment.plan is not None:
            lines.append(
                _("Session %(n)d of %(total)d")
                % {"n": appointment.course_index, "total": appointment.plan.sessions_planned}
            )
    event.add("description", "\n".join(lines))
    return event


def feed_calendar(raw_token: str) -> bytes:
    """The feed's calendar (RFC 5545). Unknown or revoked token → NotFound."""
    feed = (
        CalendarFeed.objects.select_related(
            "created_by__user", "created_by__organization", "practitioner__user"
        )
        .filter(token_hash=hash_feed_token(raw_token), revoked_at__isnull=True)
        .first()
    )
    if feed is None or not feed.created_by.is_active:
        raise NotFound("not_found", _("No such calendar feed."))
    now = timezone.now()
    qs: Any = (
        Appointment.objects.for_org(feed.organization_id)
        .filter(start__gte=now - dt.timedelta(days=PAST_DAYS))
        .exclude(status=AppointmentStatus.NO_SHOW)
        .select_related("location", "room", "patient", "plan__protocol__pre_care")
        .order_by("start", "id")
    )
    for_patient = feed.patient_id is not None
    if for_patient:
        qs = qs.filter(patient_id=feed.patient_id)
        name = _("Your appointments")
    else:
        assert feed.practitioner is not None
        qs = qs.filter(practitioner_id=feed.practitioner_id)
        name = _("Appointments of %s") % feed.practitioner.user.full_name
    cal = Calendar()
    cal.add("prodid", "-//mesocare//scheduling//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name)
    count = 0
    for appointment in qs:
        cal.add_component(_event(appointment, for_patient, now))
        count += 1
    CalendarFeed.objects.filter(pk=feed.pk).update(last_used_at=now)
    record(
        Actor(membership=feed.created_by),
        AuditAction.EXPORT,
        feed,
        patient_id=feed.patient_id,
        summary=f"calendar feed fetched ({count} events)",
        channel="ical",
    )
    return bytes(cal.to_ical())
