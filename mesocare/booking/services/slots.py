"""The slots the public may book: the scheduling engine's free slots (working hours, opening
hours, time off, rooms, existing appointments) minus the live holds of other visitors, within
the service's lead time and booking horizon, on a 15-minute grid of the location's local time
(the engine works in the location's zone, so days that change clocks are right)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import secrets
from collections import defaultdict
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.booking.models import HOLD_MINUTES, Hold, OnlineService
from mesocare.clinics.models import Location, Membership, Room
from mesocare.clinics.tenancy import require_in_org
from mesocare.core.scheduling import Interval, free_slots
from mesocare.errors import Conflict, Invalid, NotFound
from mesocare.scheduling.services.calendars import local_midnight, location_calendars

GRID_MIN = 15
MAX_SEARCH_DAYS = 31


@dataclass(frozen=True)
class PublicSlot:
    start: dt.datetime
    end: dt.datetime
    practitioner_id: int
    room_id: int

    @property
    def value(self) -> str:
        """How a form names this slot: practitioner, room and start (UTC, ISO 8601)."""
        return f"{self.practitioner_id}|{self.room_id}|{self.start.astimezone(dt.UTC).isoformat()}"


def parse_slot_value(value: str) -> tuple[int, int, dt.datetime]:
    try:
        practitioner, room, start = value.split("|", 2)
        moment = dt.datetime.fromisoformat(start)
        if moment.tzinfo is None:
            raise ValueError
        return int(practitioner), int(room), moment
    except (ValueError, AttributeError):
        raise Invalid.field("slot", _("Choose one of the times shown.")) from None


def bookable_range(service: OnlineService, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The earliest and latest start the service may be booked for at ``now``."""
    return (
        now + dt.timedelta(hours=service.lead_time_hours),
        now + dt.timedelta(days=service.booking_horizon_days),
    )


def live_holds(org_id: int, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> list[Hold]:
    return list(
        Hold.objects.for_org(org_id).filter(
            released_at__isnull=True, expires_at__gt=now, start__lt=end, end__gt=start
        )
    )


def find_slots(
    org_id: int,
    service: OnlineService,
    location: Location,
    date_from: dt.date,
    date_to: dt.date,
    *,
    now: dt.datetime | None = None,
    window: tuple[dt.time, dt.time] | None = None,
    practitioner_id: int | None = None,
    patient_id: int | None = None,
) -> list[PublicSlot]:
    """Every bookable start of ``service`` on local dates ``date_from..date_to``, one per
    practitioner and start, earliest first."""
    now = now or timezone.now()
    if date_to < date_from:
        return []
    date_to = min(date_to, date_from + dt.timedelta(days=MAX_SEARCH_DAYS - 1))
    earliest, latest = bookable_range(service, now)
    tz = location.tz
    lo, hi = local_midnight(date_from, tz), local_midnight(date_to + dt.timedelta(days=1), tz)
    if hi <= earliest or lo >= latest:
        return []
    calendars = location_calendars(
        org_id,
        location,
        lo,
        hi,
        practitioner_ids=None if practitioner_id is None else [practitioner_id],
        patient_id=patient_id,
    )
    held_by_practitioner: dict[str, list[Interval]] = defaultdict(list)
    held_by_room: dict[str, list[Interval]] = defaultdict(list)
    for hold in live_holds(org_id, lo, hi, now):
        span = Interval(hold.start, hold.end)
        held_by_practitioner[str(hold.practitioner_id)].append(span)
        held_by_room[str(hold.room_id)].append(span)
    rooms = [
        dataclasses.replace(r, busy=r.busy + tuple(held_by_room[r.id])) if held_by_room[r.id] else r
        for r in calendars.rooms
    ]
    out: list[PublicSlot] = []
    for calendar in calendars.practitioners:
        if held_by_practitioner[calendar.id]:
            calendar = dataclasses.replace(
                calendar, busy=calendar.busy + tuple(held_by_practitioner[calendar.id])
            )
        for slot in free_slots(
            calendar,
            rooms,
            calendars.patient_busy,
            tz,
            date_from,
            date_to,
            dt.timedelta(minutes=service.duration_min),
            window=window,
            granularity_min=GRID_MIN,
            room_kind=service.room_kind or None,
        ):
            if slot.room_id is None or not earliest <= slot.start <= latest:
                continue
            out.append(
                PublicSlot(slot.start, slot.end, int(slot.practitioner_id), int(slot.room_id))
            )
    out.sort(key=lambda s: (s.start, s.practitioner_id))
    return out


def one_per_start(slots: list[PublicSlot]) -> list[PublicSlot]:
    """What the public page lists: each start time once (the first practitioner free then)."""
    seen: set[dt.datetime] = set()
    out = []
    for slot in slots:
        if slot.start not in seen:
            seen.add(slot.start)
            out.append(slot)
    return out


def next_free_slots(
    org_id: int,
    service: OnlineService,
    location: Location,
    after: dt.datetime,
    *,
    count: int = 6,
    now: dt.datetime | None = None,
) -> list[PublicSlot]:
    """The first ``count`` bookable starts from ``after`` on (a week at a time, up to the
    service's horizon): what a visitor who lost a slot is offered instead."""
    now = now or timezone.now()
    day = after.astimezone(location.tz).date()
    _earliest, latest = bookable_range(service, now)
    last = latest.astimezone(location.tz).date()
    found: list[PublicSlot] = []
    while day <= last and len(found) < count:
        week_end = min(day + dt.timedelta(days=6), last)
        slots = find_slots(org_id, service, location, day, week_end, now=now)
        found.extend(s for s in one_per_start(slots) if s.start >= after)
        day = week_end + dt.timedelta(days=1)
    return found[:count]


# --- holds ----------------------------------------------------------------------------------


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class SlotTaken(Conflict):
    """The slot is no longer free; ``next_slots`` are the next free ones."""


def _taken(
    org_id: int, service: OnlineService, location: Location, after: dt.datetime
) -> SlotTaken:
    return SlotTaken(
        "slot_taken",
        _("Sorry, this time was just taken. Here are the next free times."),
        next_slots=next_free_slots(org_id, service, location, after),
    )


def place_hold(
    org_id: int,
    service: OnlineService,
    location: Location,
    practitioner_id: int,
    room_id: int,
    start: dt.datetime,
    *,
    now: dt.datetime | None = None,
) -> tuple[Hold, str]:
    """Keep the slot for ``HOLD_MINUTES``; returns the hold and its raw token. Raises
    `SlotTaken` (with the next free slots) when the engine no longer offers the slot."""
    now = now or timezone.now()
    require_in_org(
        org_id,
        service,
        location,
        error=NotFound("not_found", _("This service is not offered here.")),
    )
    practitioner = Membership.objects.for_org(org_id).filter(pk=practitioner_id).first()
    room = Room.objects.for_org(org_id).filter(pk=room_id, location=location).first()
    if practitioner is None or room is None:
        raise Invalid.field("slot", _("Choose one of the times shown."))
    day = start.astimezone(location.tz).date()
    with transaction.atomic():
        # One hold at a time per practitioner (on SQLite the write transaction already
        # serializes; on PostgreSQL this row lock does).
        Membership.objects.select_for_update().filter(pk=practitioner.pk).first()
        offered = find_slots(
            org_id, service, location, day, day, now=now, practitioner_id=practitioner.pk
        )
        if not any(s.start == start and s.room_id == room.pk for s in offered):
            raise _taken(org_id, service, location, start)
        raw = secrets.token_urlsafe(24)
        hold = Hold.objects.create(
            organization_id=org_id,
            service=service,
            location=location,
            practitioner=practitioner,
            room=room,
            start=start,
            end=start + dt.timedelta(minutes=service.duration_min),
            token_hash=hash_token(raw),
            expires_at=now + dt.timedelta(minutes=HOLD_MINUTES),
        )
    return hold, raw


class HoldExpired(Conflict):
    pass


def open_hold(org_id: int, raw: str, *, now: dt.datetime | None = None) -> Hold:
    """The live hold of token ``raw``: NotFound for an unknown token, `HoldExpired` (with the
    next free slots) once it has lapsed or was used."""
    now = now or timezone.now()
    hold = (
        Hold.objects.for_org(org_id)
        .select_related("service", "location", "practitioner__user", "room")
        .filter(token_hash=hash_token(raw or ""))
        .first()
    )
    if hold is None:
        raise NotFound("not_found", _("This booking link is not valid."))
    if hold.released_at is not None or hold.expires_at <= now:
        raise HoldExpired(
            "hold_expired",
            _("The time you chose was kept for %(n)d minutes and has been released.")
            % {"n": HOLD_MINUTES},
            next_slots=next_free_slots(org_id, hold.service, hold.location, now),
        )
    return hold


def release_hold(hold: Hold, *, now: dt.datetime | None = None) -> None:
    Hold.objects.filter(pk=hold.pk, released_at__isnull=True).update(
        released_at=now or timezone.now()
    )


def purge_holds(now: dt.datetime | None = None, *, older_than_days: int = 7) -> int:
    """Delete holds that lapsed long ago (they only matter while live)."""
    cutoff = (now or timezone.now()) - dt.timedelta(days=older_than_days)
    deleted, _detail = Hold.objects.filter(
        Q(expires_at__lt=cutoff) | Q(released_at__lt=cutoff)
    ).delete()
    return deleted
