"""Unavailability blocks: a practitioner on leave or in training, a room under maintenance.

The scheduler already honours every block (availability, course proposals, the booking
checks); this module lets staff list, create and delete them. A block may cover appointments
already booked (leave happens): creating it succeeds and names those appointments, so the desk
can move them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership, Room, WorkingHours
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import require_in_org
from mesocare.errors import Invalid
from mesocare.scheduling.models import Appointment, Block
from mesocare.scheduling.overlap import active_meeting
from mesocare.scheduling.services.calendars import TREATING_ROLES

MAX_BLOCK = dt.timedelta(days=366)
REASON_MAX_LENGTH = 200


@dataclass(frozen=True)
class BlockCreated:
    block: Block
    # Active appointments of the practitioner or the room inside the block, by start.
    affected: list[Appointment] = field(default_factory=list)


def block_queryset(actor: Actor) -> QuerySet[Block]:
    return Block.objects.for_org(actor.org_id).select_related(
        "practitioner__user", "room__location"
    )


def list_blocks(
    actor: Actor,
    *,
    location: int | None = None,
    practitioner: int | None = None,
    room: int | None = None,
    start_from: dt.datetime | None = None,
    start_before: dt.datetime | None = None,
) -> QuerySet[Block]:
    """The organization's blocks, by start. ``start_from`` keeps those still running at that
    moment or later (they end after it), ``start_before`` those that start before it.
    ``location`` keeps the blocks that matter there: of one of its rooms, or of a practitioner
    who works there (a practitioner's block holds at every location)."""
    actor.require(Perm.SCHEDULE_VIEW)
    for name, moment in (("start_from", start_from), ("start_before", start_before)):
        if moment is not None and timezone.is_naive(moment):
            raise Invalid.field(name, _("Give the time with its UTC offset."))
    qs = block_queryset(actor)
    if start_from is not None:
        qs = qs.filter(end__gt=start_from)
    if start_before is not None:
        qs = qs.filter(start__lt=start_before)
    if practitioner is not None:
        qs = qs.filter(practitioner_id=practitioner)
    if room is not None:
        qs = qs.filter(room_id=room)
    if location is not None:
        working_here = (
            WorkingHours.objects.for_org(actor.org_id)
            .filter(location_id=location)
            .values("membership_id")
        )
        qs = qs.filter(Q(room__location_id=location) | Q(practitioner_id__in=working_here))
    return qs.order_by("start", "id")


def affected_appointments(
    org_id: int,
    start: dt.datetime,
    end: dt.datetime,
    *,
    practitioner: Membership | None,
    room: Room | None,
) -> list[Appointment]:
    """Active appointments of ``practitioner`` or ``room`` that meet ``[start, end)``."""
    who = Q(pk__in=[])
    if practitioner is not None:
        who |= Q(practitioner_id=practitioner.pk)
    if room is not None:
        who |= Q(room_id=room.pk)
    return list(
        active_meeting(Appointment.objects.for_org(org_id), start, end)
        .filter(who)
        .select_related("patient", "location", "practitioner__user", "room")
        .order_by("start", "id")
    )


def _validate(
    actor: Actor,
    practitioner: Membership | None,
    room: Room | None,
    start: dt.datetime,
    end: dt.datetime,
    reason: str,
) -> None:
    """Every field error at once, as the API and the form show them."""
    require_in_org(actor, practitioner, room)
    errors: list[dict[str, str]] = []

    def add(name: str, message: str) -> None:
        errors.append({"field": name, "message": message})

    if practitioner is None and room is None:
        add("practitioner", _("Choose a practitioner, a room or both."))
    if practitioner is not None and (
        practitioner.role not in TREATING_ROLES or not practitioner.is_active
    ):
        add("practitioner", _("This staff member does not treat patients."))
    aware = True
    for name, moment in (("start", start), ("end", end)):
        if timezone.is_naive(moment):
            add(name, _("Give the time with its UTC offset."))
            aware = False
    if aware:
        if not start < end:
            add("end", _("The end must be after the start."))
        elif end - start > MAX_BLOCK:
            add("end", _("Time off can last at most 366 days; enter longer leave in parts."))
        elif end <= timezone.now():
            add("end", _("This time is already over."))
    if len(reason) > REASON_MAX_LENGTH:
        add("reason", _("Keep the reason to %d characters at most.") % REASON_MAX_LENGTH)
    if errors:
        raise Invalid("invalid", errors[0]["message"], errors=errors)


def create_block(
    actor: Actor,
    *,
    practitioner: Membership | None = None,
    room: Room | None = None,
    start: dt.datetime,
    end: dt.datetime,
    reason: str = "",
    channel: str = "api",
) -> BlockCreated:
    """Make the practitioner and/or the room unavailable for ``[start, end)``. Appointments
    already booked there stay booked and are returned, for the desk to move."""
    actor.require(Perm.SCHEDULE_EDIT)
    reason = (reason or "").strip()
    _validate(actor, practitioner, room, start, end, reason)
    with transaction.atomic():
        block = Block.objects.create(
            organization_id=actor.org_id,
            practitioner=practitioner,
            room=room,
            start=start,
            end=end,
            reason=reason,
            created_by=actor.user,
        )
        affected = affected_appointments(
            actor.org_id, start, end, practitioner=practitioner, room=room
        )
        record(
            actor,
            AuditAction.CREATE,
            block,
            summary=f"time off {start.isoformat()} to {end.isoformat()}"
            + (f" ({len(affected)} appointments inside)" if affected else ""),
            changes={
                "practitioner": [None, block.practitioner_id],
                "room": [None, block.room_id],
                "start": [None, start],
                "end": [None, end],
                "reason": [None, reason],
                "affected_appointments": [a.pk for a in affected],
            },
            channel=channel,
        )
    return BlockCreated(block, affected)


def delete_block(actor: Actor, block: Block, *, channel: str = "api") -> None:
    """Remove a block: the time becomes bookable again (within working and opening hours)."""
    actor.require(Perm.SCHEDULE_EDIT)
    require_in_org(actor, block)
    with transaction.atomic():
        record(
            actor,
            AuditAction.DELETE,
            block,
            summary=f"time off {block.start.isoformat()} to {block.end.isoformat()} removed",
            changes={
                "practitioner": [block.practitioner_id, None],
                "room": [block.room_id, None],
                "start": [block.start, None],
                "end": [block.end, None],
                "reason": [block.reason, None],
            },
            channel=channel,
        )
        block.delete()


__all__ = [
    "BlockCreated",
    "affected_appointments",
    "block_queryset",
    "create_block",
    "delete_block",
    "list_blocks",
]
