"""Organization set-up over the API: me, locations, rooms, staff, working hours."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from mesocare.accounts import two_factor
from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.clinics_schemas import (
    InvitationOut,
    LocationIn,
    LocationOut,
    LocationPatch,
    MeOut,
    RoomIn,
    RoomOut,
    RoomPatch,
    StaffIn,
    StaffOut,
    StaffPatch,
    Unlocked,
    WorkingHoursIn,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.clinics import invitations, lockout, services
from mesocare.clinics.actor import Actor
from mesocare.clinics.middleware import active_memberships
from mesocare.clinics.models import Invitation, Location, Membership, Room, WorkingHours
from mesocare.clinics.permissions import MEMBER, ROLE_PERMISSIONS, Perm
from mesocare.clinics.tenancy import get_for_org

router = Router(tags=["organization"])


def _location_out(location: Location) -> dict[str, Any]:
    return {
        "id": location.pk,
        "name": location.name,
        "timezone": location.timezone,
        "address": location.address,
        "phone": location.phone,
        "is_active": location.is_active,
        "opening_hours": [
            {"weekday": h.weekday, "opens": h.opens, "closes": h.closes}
            for h in location.opening_hours.all()
        ],
    }


def _staff_out(m: Membership) -> dict[str, Any]:
    return {
        "id": m.pk,
        "email": m.user.email,
        "full_name": m.user.full_name,
        "role": m.role,
        "title": m.title,
        "is_active": m.is_active,
        "default_location": m.default_location_id,
        "working_hours": [
            {"location": w.location_id, "weekday": w.weekday, "opens": w.opens, "closes": w.closes}
            for w in m.working_hours.all()
        ],
    }


def _invitation_out(invitation: Invitation) -> dict[str, Any]:
    return {
        "id": invitation.pk,
        "email": invitation.email,
        "role": invitation.role,
        "title": invitation.title,
        "default_location": invitation.default_location_id,
        "status": invitation.status_at(timezone.now()),
        "created_at": invitation.created_at,
        "expires_at": invitation.expires_at,
    }


def _staff_qs(actor: Actor) -> Any:
    return (
        Membership.objects.for_org(actor.org_id)
        .select_related("user")
        .prefetch_related(
            Prefetch("working_hours", WorkingHours.objects.order_by("weekday", "opens"))
        )
    )


def _org(o: Any) -> dict[str, Any]:
    return {"id": o.pk, "name": o.name, "slug": o.slug}


@router.get("/me", response=MeOut, summary="Who am I, in which organization, with which rights")
@requires(MEMBER)
def me(request: HttpRequest) -> dict[str, Any]:
    actor = actor_of(request)
    return {
        "id": actor.user.pk,
        "email": actor.user.email,
        "full_name": actor.user.full_name,
        "organization": _org(actor.organization),
        "role": actor.role,
        "permissions": sorted(p.value for p in ROLE_PERMISSIONS[actor.role]),
        "memberships": [
            {"organization": _org(m.organization), "role": m.role}
            for m in active_memberships(actor.user)
        ],
    }


@router.get("/locations", response=list[LocationOut], summary="Locations of the organization")
@requires(Perm.ORG_VIEW)
def list_locations(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    actor.require(Perm.ORG_VIEW)
    qs = Location.objects.for_org(actor.org_id).prefetch_related("opening_hours")
    return [_location_out(loc) for loc in qs]


@router.post("/locations", response={201: LocationOut, **PROBLEM_RESPONSES})
@requires(Perm.ORG_MANAGE)
def create_location(request: HttpRequest, payload: LocationIn) -> tuple[int, dict[str, Any]]:
    data = payload.dict()
    hours = data.pop("opening_hours")
    location = services.save_location(
        actor_of(request),
        opening_hours=None
        if hours is None
        else [(h["weekday"], h["opens"], h["closes"]) for h in hours],
        **data,
    )
    return 201, _location_out(location)


@router.get("/locations/{location_id}", response={200: LocationOut, **PROBLEM_RESPONSES})
@requires(Perm.ORG_VIEW)
def get_location(request: HttpRequest, location_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    actor.require(Perm.ORG_VIEW)
    return _location_out(get_for_org(Location, actor.org_id, location_id))


@router.patch("/locations/{location_id}", response={200: LocationOut, **PROBLEM_RESPONSES})
@requires(Perm.ORG_MANAGE)
def update_location(
    request: HttpRequest, location_id: int, payload: LocationPatch
) -> dict[str, Any]:
    actor = actor_of(request)
    location = get_for_org(Location, actor.org_id, location_id)
    data = payload.dict(exclude_unset=True)
    hours = data.pop("opening_hours", None)
    location = services.save_location(
        actor,
        location,
        opening_hours=None
        if hours is None
        else [(h["weekday"], h["opens"], h["closes"]) for h in hours],
        **data,
    )
    return _location_out(location)


@router.get("/rooms", response=list[RoomOut], summary="Rooms, optionally of one location")
@requires(Perm.ORG_VIEW)
def list_rooms(request: HttpRequest, location: int | None = None) -> Any:
    actor = actor_of(request)
    actor.require(Perm.ORG_VIEW)
    qs = Room.objects.for_org(actor.org_id)
    return qs.filter(location_id=location) if location is not None else qs


@router.post("/rooms", response={201: RoomOut, **PROBLEM_RESPONSES})
@requires(Perm.ORG_MANAGE)
def create_room(request: HttpRequest, payload: RoomIn) -> tuple[int, Room]:
    data = payload.dict()
    room = services.save_room(actor_of(request), location_id=data.pop("location"), **data)
    return 201, room


@router.get("/rooms/{room_id}", response={200: RoomOut, **PROBLEM_RESPONSES})
@requires(Perm.ORG_VIEW)
def get_room(request: HttpRequest, room_id: int) -> Room:
    actor = actor_of(request)
    actor.require(Perm.ORG_VIEW)
    return get_for_org(Room, actor.org_id, room_id)


@router.patch("/rooms/{room_id}", response={200: RoomOut, **PROBLEM_RESPONSES})
@requires(Perm.ORG_MANAGE)
def update_room(request: HttpRequest, room_id: int, payload: RoomPatch) -> Room:
    actor = actor_of(request)
    room = get_for_org(Room, actor.org_id, room_id)
    return services.save_room(actor, room, **payload.dict(exclude_unset=True))


@router.get("/staff", response=list[StaffOut], summary="Staff memberships with working hours")
@requires(Perm.ORG_VIEW)
def list_staff(request: HttpRequest, role: str | None = None) -> list[dict[str, Any]]:
    actor = actor_of(request)
    actor.require(Perm.ORG_VIEW)
    qs = _staff_qs(actor)
    if role:
        qs = qs.filter(role=role)
    return [_staff_out(m) for m in qs]


@router.post(
    "/staff",
    response={201: InvitationOut, **PROBLEM_RESPONSES},
    summary="Invite a person to the staff (emails a single-use link)",
    description="The answer is the same whether or not the email address has an account.",
)
@requires(Perm.STAFF_MANAGE)
def add_staff(request: HttpRequest, payload: StaffIn) -> tuple[int, dict[str, Any]]:
    data = payload.dict()
    invitation = invitations.invite(
        actor_of(request),
        default_location_id=data.pop("default_location"),
        channel="api",
        **data,
    )
    return 201, _invitation_out(invitation)


@router.get(
    "/staff/invitations",
    response={200: list[InvitationOut], **PROBLEM_RESPONSES},
    summary="Invitations sent by the organization (pending, accepted, revoked, expired)",
)
@requires(Perm.STAFF_MANAGE)
def list_invitations(request: HttpRequest) -> list[dict[str, Any]]:
    return [_invitation_out(i) for i in invitations.list_invitations(actor_of(request))]


@router.delete(
    "/staff/invitations/{invitation_id}",
    response={204: None, **PROBLEM_RESPONSES},
    summary="Revoke a pending invitation (its link stops working)",
)
@requires(Perm.STAFF_MANAGE)
def revoke_invitation(request: HttpRequest, invitation_id: int) -> tuple[int, None]:
    actor = actor_of(request)
    invitation = get_for_org(Invitation, actor.org_id, invitation_id)
    invitations.revoke(actor, invitation, channel="api")
    return 204, None


@router.get("/staff/{membership_id}", response={200: StaffOut, **PROBLEM_RESPONSES})
@requires(Perm.ORG_VIEW)
def get_staff(request: HttpRequest, membership_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    actor.require(Perm.ORG_VIEW)
    return _staff_out(
        get_for_org(Membership, actor.org_id, membership_id, queryset=_staff_qs(actor))
    )


@router.patch("/staff/{membership_id}", response={200: StaffOut, **PROBLEM_RESPONSES})
@requires(Perm.STAFF_MANAGE)
def update_staff(request: HttpRequest, membership_id: int, payload: StaffPatch) -> dict[str, Any]:
    actor = actor_of(request)
    membership = get_for_org(Membership, actor.org_id, membership_id)
    data = payload.dict(exclude_unset=True)
    if "default_location" in data:
        loc_id = data.pop("default_location")
        data["default_location"] = get_for_org(Location, actor.org_id, loc_id) if loc_id else None
    services.update_membership(actor, membership, **data)
    return _staff_out(
        get_for_org(Membership, actor.org_id, membership_id, queryset=_staff_qs(actor))
    )


@router.put("/staff/{membership_id}/working-hours", response={200: StaffOut, **PROBLEM_RESPONSES})
@requires(Perm.ORG_MANAGE)
def set_working_hours(
    request: HttpRequest, membership_id: int, payload: WorkingHoursIn
) -> dict[str, Any]:
    actor = actor_of(request)
    membership = get_for_org(Membership, actor.org_id, membership_id)
    location = get_for_org(Location, actor.org_id, payload.location)
    services.set_working_hours(
        actor, membership, location, [(h.weekday, h.opens, h.closes) for h in payload.hours]
    )
    return _staff_out(
        get_for_org(Membership, actor.org_id, membership_id, queryset=_staff_qs(actor))
    )


@router.post(
    "/staff/{membership_id}/unlock",
    response={200: Unlocked, **PROBLEM_RESPONSES},
    summary="Clear a member's failed sign-ins (lift a lockout)",
)
@requires(Perm.STAFF_MANAGE)
def unlock_staff(request: HttpRequest, membership_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    actor.require(Perm.STAFF_MANAGE)
    membership = get_for_org(
        Membership, actor.org_id, membership_id, queryset=Membership.objects.select_related("user")
    )
    return {"failed_sign_ins_cleared": lockout.unlock_sign_in(actor, membership, channel="api")}


@router.delete(
    "/staff/{membership_id}/two-factor",
    response={204: None, **PROBLEM_RESPONSES},
    summary="Reset a member's two-factor sign-in (lost authenticator; audited)",
    description="409 `no_second_factor` when the member has no authenticator.",
)
@requires(Perm.STAFF_MANAGE)
def reset_staff_two_factor(request: HttpRequest, membership_id: int) -> tuple[int, None]:
    two_factor.reset(actor_of(request), membership_id, channel="api")
    return 204, None
