"""A busy week on the demo clinic's calendar: every working day of the current week (Monday to
Saturday) at each location has most of the half-hour slots of every practitioner working there
taken by single appointments — first consultations and follow-up visits, the visit's reason in
the notes — around the courses already there, each in the first room free at that time.

Future appointments are booked through the booking service (`book_appointment`: working hours,
overlaps of practitioner, room and patient, time off). Past ones go through the same conflict
check with the clock at the moment they were booked (`find_conflicts(now=)`), like the courses'
history (`clinic_day.book_past`); about one in eight of them is a no-show (`mark_no_show`), the
rest were seen. Loading again adds nothing to a day that already has such visits."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence

from django.utils import timezone

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Room, WorkingHours
from mesocare.errors import DomainError
from mesocare.patients.models import Patient
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.appointments import book_appointment, mark_no_show
from mesocare.scheduling.services.booking import Candidate, find_conflicts, guarded_write

SEED = 20261207
FILL = 0.8  # the share of free half-hour slots the week gets
NO_SHOW = 0.125
SLOT = dt.timedelta(minutes=30)
VISITS = ("First consultation", "Follow-up visit", "Review of results", "Consultation")
MARGIN = dt.timedelta(minutes=5)


def _starts(hours: Sequence[WorkingHours], day: dt.date, tz: dt.tzinfo) -> list[dt.datetime]:
    out = []
    for row in hours:
        start = dt.datetime.combine(day, row.opens, tzinfo=tz)
        end = dt.datetime.combine(day, row.closes, tzinfo=tz)
        while start + SLOT <= end:
            out.append(start)
            start += SLOT
    return out


def _book_past(
    desk: Actor,
    patient: Patient,
    practitioner: Membership,
    rooms: Sequence[Room],
    start: dt.datetime,
    notes: str,
) -> Appointment | None:
    """A single appointment now past, booked three days before it in the first of ``rooms``
    free then (same checks as a booking then); None when no room was free."""
    booked_at = start - dt.timedelta(days=3)
    room = next(
        (
            r
            for r in rooms
            if not find_conflicts(
                desk.org_id, patient.pk, [Candidate(start, start + SLOT, practitioner, r)],
                now=booked_at,
            )
        ),
        None,
    )  # fmt: skip
    if room is None:
        return None
    with guarded_write():
        appointment = Appointment.objects.create(
            organization_id=desk.org_id,
            location=room.location,
            practitioner=practitioner,
            room=room,
            patient=patient,
            start=start,
            end=start + SLOT,
            notes=notes,
            created_by=desk.user,
        )
        Appointment.objects.filter(pk=appointment.pk).update(created_at=booked_at)
        record(
            desk,
            AuditAction.CREATE,
            appointment,
            patient_id=patient.pk,
            summary=f"booked appointment at {start.isoformat()} (demo history)",
            channel="web",
        )
    return appointment


def _seen(desk: Actor, appointment: Appointment) -> None:
    """A past visit that took place: completed at its end (history; the check-in service
    only checks in on the appointment's own day)."""
    Appointment.objects.filter(pk=appointment.pk).update(
        status=AppointmentStatus.COMPLETED, status_changed_at=appointment.end
    )
    record(
        desk,
        AuditAction.UPDATE,
        appointment,
        patient_id=appointment.patient_id,
        summary="appointment completed (demo history)",
        channel="web",
    )


def _book_future(
    desk: Actor,
    patient: Patient,
    practitioner: Membership,
    rooms: Sequence[Room],
    start: dt.datetime,
    notes: str,
) -> Appointment | None:
    """Book through the booking service in the first of ``rooms`` it accepts; None when the
    slot is taken for every room (a course session, time off)."""
    for room in rooms:
        try:
            return book_appointment(
                desk,
                patient=patient,
                practitioner=practitioner,
                room=room,
                start=start,
                duration_min=int(SLOT.total_seconds() // 60),
                notes=notes,
                channel="web",
            )
        except DomainError:
            continue
    return None


def _staffing(
    desk: Actor, practitioners: Sequence[Actor], locations: Sequence[Location]
) -> list[tuple[Membership, Location]]:
    """Every practitioner working at each location (from their working hours): the given
    practitioners first, then the clinic's other treating members who work there."""
    given = [p.membership for p in practitioners]
    pairs: list[tuple[Membership, Location]] = []
    for location in locations:
        working = {
            w.membership_id: w.membership
            for w in WorkingHours.objects.filter(location=location).select_related("membership")
        }
        ordered = [m for m in given if m.pk in working]
        ordered += sorted(
            (m for pk, m in working.items() if pk not in {g.pk for g in given}),
            key=lambda m: m.pk,
        )
        pairs += [(m, location) for m in ordered if m.organization_id == desk.org_id]
    return pairs


def fill_week(
    desk: Actor,
    practitioners: Sequence[Actor],
    locations: Sequence[Location],
    patients: Sequence[Patient],
    *,
    now: dt.datetime | None = None,
) -> int:
    """Fill this week at each location for every practitioner working there; returns how
    many appointments were made."""
    now = now or timezone.now()
    if not patients:
        return 0
    rng = random.Random(SEED)
    made = 0
    turn = 0
    for membership, location in _staffing(desk, practitioners, locations):
        tz = location.tz
        today = timezone.localtime(now, tz).date()
        monday = today - dt.timedelta(days=today.weekday())
        rooms = list(Room.objects.for_org(desk.org_id).filter(location=location, is_active=True))
        hours = list(WorkingHours.objects.filter(membership=membership, location=location))
        if not rooms or not hours:
            continue
        for offset in range(6):
            day = monday + dt.timedelta(days=offset)
            midnight = dt.datetime.combine(day, dt.time(), tzinfo=tz)
            if (
                Appointment.objects.for_org(desk.org_id)
                .filter(practitioner=membership, location=location, plan__isnull=True)
                .filter(notes__in=VISITS)
                .filter(start__gte=midnight, start__lt=midnight + dt.timedelta(days=1))
                .exists()
            ):
                continue
            todays = [h for h in hours if h.weekday == day.weekday()]
            for start in _starts(todays, day, tz):
                if rng.random() >= FILL:
                    continue
                patient = patients[turn % len(patients)]
                turn += 1
                order = rooms[turn % len(rooms) :] + rooms[: turn % len(rooms)]
                notes = VISITS[turn % len(VISITS)]
                if start + SLOT <= now:
                    appointment = _book_past(desk, patient, membership, order, start, notes)
                    if appointment is None:
                        continue
                    if rng.random() < NO_SHOW:
                        mark_no_show(desk, appointment, channel="web")
                    else:
                        _seen(desk, appointment)
                elif start > now + MARGIN:
                    if _book_future(desk, patient, membership, order, start, notes) is None:
                        continue  # taken (a course session, time off): the next slot
                else:
                    continue  # the slot under way now stays as the courses left it
                made += 1
    return made
