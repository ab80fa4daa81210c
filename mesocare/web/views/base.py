from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone

from mesocare.audit.services import record_refused
from mesocare.clinics.actor import Actor
from mesocare.clinics.middleware import must_choose
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError, Forbidden, NotFound
from mesocare.lib.compiled_query import CompiledQuery

View = Callable[..., HttpResponse]


def staff_view(*perms: Perm | None) -> Callable[[View], View]:
    """A signed-in member of an organization holding any one of `perms` (no perms: any
    member). Domain errors become 404/403 pages or a message."""
    wanted = [p for p in perms if p is not None]

    def decorate(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            actor: Actor | None = getattr(request, "actor", None)
            if actor is None:
                if must_choose(request):
                    return redirect_to_login(
                        request.get_full_path(), reverse("web:choose-org"), "next"
                    )
                raise PermissionDenied("You are not a member of any organization.")
            if wanted and not any(actor.can(p) for p in wanted):
                needed = " / ".join(p.value for p in wanted)
                _audit_refusal(request, actor, kwargs, 403)
                raise PermissionDenied(f"Your role may not do this ({needed}).")
            try:
                with timezone.override(actor_zone(actor)):
                    return view(request, actor, *args, **kwargs)
            except NotFound as exc:
                _audit_refusal(request, actor, kwargs, 404)
                raise Http404(exc.message) from exc
            except Forbidden as exc:
                _audit_refusal(request, actor, kwargs, 403)
                raise PermissionDenied(exc.message) from exc

        return wrapper

    return decorate


# Every staff page of a member without a default location reads it (compiled once per process).
_FIRST_LOCATION = CompiledQuery(
    lambda org: Location.objects.filter(organization_id=org).order_by("pk").only("timezone")[:1],
    org=int,
)


def actor_zone(actor: Actor) -> dt.tzinfo:
    """The zone staff pages show times in when a time belongs to no location of its own: the
    member's default location, else the organization's first location."""
    location = actor.membership.default_location
    if location is not None:
        return location.tz
    first = _FIRST_LOCATION.first(org=actor.org_id)
    return first.tz if first is not None else timezone.get_default_timezone()


def _audit_refusal(request: HttpRequest, actor: Actor, kwargs: dict[str, Any], status: int) -> None:
    """A patient page that was refused (403) or not found (404) is audited as REFUSED."""
    if "patient_id" not in kwargs:
        return
    record_refused(
        actor,
        object_type="patients.patient",
        object_id=kwargs["patient_id"],
        patient_id=kwargs["patient_id"],
        summary=f"{request.method} {request.path} refused ({status})"[:255],
        channel="web",
    )


def apply_domain_errors(form: Any, exc: DomainError) -> None:
    """Put a service's field errors beside the fields of the form that sent them."""
    if not exc.errors:
        form.add_error(None, exc.message)
        return
    for error in exc.errors:
        field = error["field"] if error["field"] in form.fields else None
        form.add_error(field, error["message"])


def back(request: HttpRequest, fallback: str, message: str | None = None) -> HttpResponse:
    if message:
        messages.success(request, message)
    return redirect(request.POST.get("next") or fallback)
