"""Organization set-up: locations, opening hours, rooms, staff and working hours.

People join through invitations (`mesocare.clinics.invitations`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import diff, record
from mesocare.clinics.actor import Actor
from mesocare.clinics.choices import Role
from mesocare.clinics.models import Location, Membership, OpeningHours, Room, WorkingHours
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Conflict, Invalid
from mesocare.lib.validation import full_clean_or_invalid

WeeklyHours = Iterable[tuple[int, dt.time, dt.time]]


def _check_weekly(hours: list[tuple[int, dt.time, dt.time]], field: str) -> None:
    by_day: dict[int, list[tuple[dt.time, dt.time]]] = {}
    for weekday, opens, closes in hours:
        if not 0 <= weekday <= 6:
            raise Invalid.field(field, _("Weekday must be 0 (Monday) to 6 (Sunday)."))
        if opens >= closes:
            raise Invalid.field(field, _("Each interval must end after it starts."))
        by_day.setdefault(weekday, []).append((opens, closes))
    for intervals in by_day.values():
        intervals.sort()
        for (_a, end), (start, _b) in zip(intervals, intervals[1:], strict=False):
            if start < end:
                raise Invalid.field(field, _("Intervals on the same day overlap."))


@transaction.atomic
def save_location(
    actor: Actor,
    location: Location | None = None,
    *,
    opening_hours: WeeklyHours | None = None,
    **fields: Any,
) -> Location:
    actor.require(Perm.ORG_MANAGE)
    creating = location is None
    if location is None:
        location = Location(organization_id=actor.org_id)
    changes = diff(location, fields) if not creating else fields
    for key, value in fields.items():
        setattr(location, key, value)
    full_clean_or_invalid(location, exclude=["organization"])
    if (
        Location.objects.for_org(actor.org_id)
        .filter(name=location.name)
        .exclude(pk=location.pk)
        .exists()
    ):
        raise Invalid.field("name", _("A location with this name exists already."))
    location.save()
    if opening_hours is not None:
        hours = list(opening_hours)
        _check_weekly(hours, "opening_hours")
        location.opening_hours.all().delete()
        OpeningHours.objects.bulk_create(
            OpeningHours(
                organization_id=location.organization_id,
                location=location,
                weekday=d,
                opens=o,
                closes=c,
            )
            for d, o, c in hours
        )
        changes = {**changes, "opening_hours": [f"{d} {o}-{c}" for d, o, c in hours]}
    record(actor, AuditAction.CREATE if creating else AuditAction.UPDATE, location, changes=changes)
    return location


@transaction.atomic
def save_room(actor: Actor, room: Room | None = None, **fields: Any) -> Room:
    actor.require(Perm.ORG_MANAGE)
    creating = room is None
    if "location_id" in fields:
        fields["location"] = get_for_org(Location, actor.org_id, fields.pop("location_id"))
    if room is None:
        room = Room(organization_id=actor.org_id)
    changes = fields if creating else diff(room, fields)
    for key, value in fields.items():
        setattr(room, key, value)
    full_clean_or_invalid(room, exclude=["organization"])
    room.save()
    record(actor, AuditAction.CREATE if creating else AuditAction.UPDATE, room, changes=changes)
    return room


@transaction.atomic
def update_membership(actor: Actor, membership: Membership, **fields: Any) -> Membership:
    actor.require(Perm.STAFF_MANAGE)
    if "role" in fields and fields["role"] not in Role.values:
        raise Invalid.field("role", _("Role must be one of %s.") % ", ".join(Role.values))
    demoting_self = membership.pk == actor.membership.pk and (
        fields.get("role", Role.ADMIN) != Role.ADMIN or fields.get("is_active") is False
    )
    if demoting_self:
        raise Conflict("last_admin", _("You cannot remove your own administrator access."))
    changes = diff(membership, fields)
    for key, value in fields.items():
        setattr(membership, key, value)
    membership.save()
    record(actor, AuditAction.UPDATE, membership, changes=changes)
    return membership


@transaction.atomic
def set_working_hours(
    actor: Actor, membership: Membership, location: Location, hours: WeeklyHours
) -> list[WorkingHours]:
    actor.require(Perm.ORG_MANAGE)
    if membership.role != Role.PRACTITIONER:
        raise Invalid.field("membership", _("Working hours are kept for practitioners."))
    items = list(hours)
    _check_weekly(items, "hours")
    WorkingHours.objects.for_org(actor.org_id).filter(
        membership=membership, location=location
    ).delete()
    created = WorkingHours.objects.bulk_create(
        WorkingHours(
            organization_id=actor.org_id,
            membership=membership,
            location=location,
            weekday=d,
            opens=o,
            closes=c,
        )
        for d, o, c in items
    )
    record(
        actor,
        AuditAction.UPDATE,
        membership,
        summary=f"working hours at {location}",
        changes={"working_hours": [f"{d} {o}-{c}" for d, o, c in items]},
    )
    return created
