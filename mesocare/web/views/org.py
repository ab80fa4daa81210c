"""Organization set-up pages: locations, rooms, staff and working hours.

Admins change things (org.manage, staff.manage); auditors read the same pages (audit.view)
without the forms. Other roles do not see these pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesocare.accounts import two_factor
from mesocare.clinics import invitations, lockout, services
from mesocare.clinics.actor import Actor
from mesocare.clinics.choices import Role
from mesocare.clinics.models import (
    Invitation,
    Location,
    Membership,
    OpeningHours,
    Room,
    WorkingHours,
)
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError
from mesocare.web.forms.org import (
    WORKING_WEEK,
    IntervalFormSet,
    LocationForm,
    RoomForm,
    StaffAddForm,
    StaffEditForm,
    formset_intervals,
    interval_initial,
)
from mesocare.web.pagination import paginate
from mesocare.web.views.base import apply_domain_errors, staff_view

# Who may open the organization pages at all: those who manage it, and auditors (read-only).
ORG_PAGES = (Perm.ORG_MANAGE, Perm.AUDIT_VIEW)


def _hours_error(exc: DomainError, form: Any, field: str) -> list[str]:
    """Service errors about the weekly hours go above the hours table; the rest to the form."""
    hours = [e["message"] for e in exc.errors if e["field"] == field]
    if not exc.errors:
        form.add_error(None, exc.message)
    others = [e for e in exc.errors if e["field"] != field]
    if others:
        apply_domain_errors(form, DomainError(exc.code, exc.message, errors=others))
    return hours


# ----------------------------------------------------------------- locations


@staff_view(*ORG_PAGES)
def location_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    qs = Location.objects.for_org(actor.org_id).prefetch_related(
        Prefetch("opening_hours", OpeningHours.objects.order_by("weekday", "opens"))
    )
    return render(request, "web/org/locations.html", {"page": paginate(request, qs)})


def _location_form(request: HttpRequest, actor: Actor, location: Location | None) -> HttpResponse:
    if location is None:
        initial: dict[str, Any] = {}
        hours_initial = interval_initial(WORKING_WEEK)
    else:
        initial = {f: getattr(location, f) for f in ("name", "timezone", "address", "phone")}
        initial["is_active"] = location.is_active
        hours_initial = interval_initial(
            (h.weekday, h.opens, h.closes) for h in location.opening_hours.all()
        )
    form = LocationForm(request.POST or None, initial=initial)
    hours = IntervalFormSet(request.POST or None, initial=hours_initial, prefix="hours")
    hours_errors: list[str] = []
    if request.method == "POST" and form.is_valid() and hours.is_valid():
        try:
            saved = services.save_location(
                actor, location, opening_hours=formset_intervals(hours), **form.cleaned_data
            )
        except DomainError as exc:
            hours_errors = _hours_error(exc, form, "opening_hours")
        else:
            messages.success(request, _("Location %(name)s saved.") % {"name": saved.name})
            return redirect("web:location-list")
    return render(
        request,
        "web/org/location_form.html",
        {"form": form, "hours": hours, "hours_errors": hours_errors, "location": location},
    )


@staff_view(Perm.ORG_MANAGE)
def location_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _location_form(request, actor, None)


@staff_view(Perm.ORG_MANAGE)
def location_edit(request: HttpRequest, actor: Actor, location_id: int) -> HttpResponse:
    return _location_form(request, actor, get_for_org(Location, actor.org_id, location_id))


# ----------------------------------------------------------------- rooms


@staff_view(*ORG_PAGES)
def room_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    qs = (
        Room.objects.for_org(actor.org_id)
        .select_related("location")
        .order_by("location__name", "name")
    )
    return render(request, "web/org/rooms.html", {"page": paginate(request, qs)})


def _room_form(request: HttpRequest, actor: Actor, room: Room | None) -> HttpResponse:
    initial: dict[str, Any] = {}
    if room is not None:
        initial = {
            "location": room.location_id,
            "name": room.name,
            "kind": room.kind,
            "is_active": room.is_active,
        }
    form = RoomForm(request.POST or None, initial=initial, org_id=actor.org_id)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["location_id"] = data.pop("location").pk
        try:
            saved = services.save_room(actor, room, **data)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Room %(name)s saved.") % {"name": saved.name})
            return redirect("web:room-list")
    return render(request, "web/org/room_form.html", {"form": form, "room": room})


@staff_view(Perm.ORG_MANAGE)
def room_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _room_form(request, actor, None)


@staff_view(Perm.ORG_MANAGE)
def room_edit(request: HttpRequest, actor: Actor, room_id: int) -> HttpResponse:
    return _room_form(request, actor, get_for_org(Room, actor.org_id, room_id))


# ----------------------------------------------------------------- staff


@staff_view(*ORG_PAGES)
def staff_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    qs = (
        Membership.objects.for_org(actor.org_id)
        .select_related("user", "default_location")
        .order_by("-is_active", "user__email")
    )
    manager = actor.can(Perm.STAFF_MANAGE)
    context = {
        "page": paginate(request, qs),
        "locked": lockout.locked_emails(actor) if manager else set(),
        "with_2fa": two_factor.members_with_factor(actor) if manager else set(),
        "invitations": invitations.list_invitations(actor, pending_only=True) if manager else [],
    }
    return render(request, "web/org/staff.html", context)


@staff_view(Perm.STAFF_MANAGE)
def staff_add(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = StaffAddForm(request.POST or None, org_id=actor.org_id)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = invitations.invite(actor, **form.service_values())
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            # The same message whether or not the address has an account anywhere.
            messages.success(
                request, _("Invitation sent to %(email)s.") % {"email": invitation.email}
            )
            return redirect("web:staff-list")
    return render(request, "web/org/staff_form.html", {"form": form, "membership": None})


@require_POST
@staff_view(Perm.STAFF_MANAGE)
def invitation_revoke(request: HttpRequest, actor: Actor, invitation_id: int) -> HttpResponse:
    invitation = get_for_org(Invitation, actor.org_id, invitation_id)
    try:
        invitations.revoke(actor, invitation)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("Invitation for %(email)s revoked.") % {"email": invitation.email}
        )
    return redirect("web:staff-list")


def _membership(actor: Actor, membership_id: int) -> Membership:
    return get_for_org(
        Membership,
        actor.org_id,
        membership_id,
        queryset=Membership.objects.select_related("user", "default_location"),
    )


@staff_view(Perm.STAFF_MANAGE)
def staff_edit(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    membership = _membership(actor, membership_id)
    initial = {
        "role": membership.role,
        "title": membership.title,
        "default_location": membership.default_location_id,
    }
    form = StaffEditForm(request.POST or None, initial=initial, org_id=actor.org_id)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_membership(actor, membership, **form.cleaned_data)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Staff member saved."))
            return redirect("web:staff-list")
    return render(request, "web/org/staff_form.html", {"form": form, "membership": membership})


@staff_view(Perm.STAFF_MANAGE)
def staff_deactivate(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    """GET asks for confirmation; POST removes the person's access to this organization."""
    membership = _membership(actor, membership_id)
    back_url = reverse("web:staff-list")
    if request.method == "POST":
        try:
            services.update_membership(actor, membership, is_active=False)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(email)s deactivated.") % {"email": membership.user})
        return redirect(back_url)
    return render(
        request,
        "web/confirm.html",
        {
            "title": _("Deactivate staff member"),
            "question": _("Deactivate %(name)s? They will no longer be able to work in %(org)s.")
            % {"name": membership.user, "org": actor.organization.name},
            "button": _("Deactivate"),
            "cancel_url": back_url,
        },
    )


@require_POST
@staff_view(Perm.STAFF_MANAGE)
def staff_reactivate(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    membership = _membership(actor, membership_id)
    services.update_membership(actor, membership, is_active=True)
    messages.success(request, _("%(email)s reactivated.") % {"email": membership.user.email})
    return redirect("web:staff-list")


@require_POST
@staff_view(Perm.STAFF_MANAGE)
def staff_unlock(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    membership = _membership(actor, membership_id)
    lockout.unlock_sign_in(actor, membership)
    messages.success(request, _("%(email)s may sign in again.") % {"email": membership.user.email})
    return redirect("web:staff-list")


# ----------------------------------------------------------------- working hours


@staff_view(*ORG_PAGES)
def working_hours(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    membership = _membership(actor, membership_id)
    locations = list(Location.objects.for_org(actor.org_id).filter(is_active=True))
    chosen = request.GET.get("location") or request.POST.get("location")
    location = (
        get_for_org(Location, actor.org_id, chosen)
        if chosen
        else (membership.default_location or (locations[0] if locations else None))
    )
    all_hours = list(
        WorkingHours.objects.for_org(actor.org_id)
        .filter(membership=membership)
        .select_related("location")
        .order_by("location__name", "weekday", "opens")
    )
    current = [h for h in all_hours if location is not None and h.location_id == location.pk]
    can_edit = actor.can(Perm.ORG_MANAGE) and membership.role == Role.PRACTITIONER
    hours = IntervalFormSet(
        request.POST if request.method == "POST" else None,
        initial=interval_initial((h.weekday, h.opens, h.closes) for h in current),
        prefix="hours",
    )
    hours_errors: list[str] = []
    if request.method == "POST":
        actor.require(Perm.ORG_MANAGE)
        if location is not None and hours.is_valid():
            try:
                services.set_working_hours(actor, membership, location, formset_intervals(hours))
            except DomainError as exc:
                hours_errors = [e["message"] for e in exc.errors] or [exc.message]
            else:
                messages.success(request, _("Working hours saved."))
                url = reverse("web:staff-hours", kwargs={"membership_id": membership.pk})
                return redirect(f"{url}?location={location.pk}")
    return render(
        request,
        "web/org/working_hours.html",
        {
            "membership": membership,
            "locations": locations,
            "location": location,
            "all_hours": all_hours,
            "hours": hours,
            "hours_errors": hours_errors,
            "can_edit": can_edit,
        },
    )
