from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.lib.compiled_query import CompiledQuery
from mesocare.lib.proxies import client_address

SESSION_ORG_KEY = "mesocare_org_id"


def client_ip(request: HttpRequest) -> str | None:
    """The client's address, read through the proxies in MESOCARE_TRUSTED_PROXIES only (audit
    trail and sign-in lockout use this one answer)."""
    return client_address(
        request.META.get("REMOTE_ADDR"),
        request.META.get("HTTP_X_FORWARDED_FOR"),
        settings.MESOCARE_TRUSTED_PROXIES,
    )


def memberships_of(user: Any) -> QuerySet[Membership]:
    return Membership.objects.select_related("organization", "user", "default_location").filter(
        user=user, is_active=True
    )


# What every signed-in request reads, compiled once (mesocare.lib.compiled_query).
_ALL = CompiledQuery(lambda user: memberships_of(user).order_by("pk"), user=int)
_IN_ORG = CompiledQuery(
    lambda user, org: memberships_of(user).filter(organization_id=org)[:1], user=int, org=int
)
_FIRST_TWO = CompiledQuery(lambda user: memberships_of(user)[:2], user=int)


def active_memberships(user: Any) -> list[Membership]:
    """Every organization the user acts in, with the organization, user and default location."""
    return _ALL.fetch(user=user.pk)


def membership_for(request: HttpRequest) -> Membership | None:
    """The membership this session acts as: the organization chosen after sign-in, or the only
    one the user has. A user of several organizations who has not chosen acts as none (the
    staff UI sends them to the chooser) — never a silent default."""
    user = request.user
    if not user.is_authenticated:
        return None
    chosen = request.session.get(SESSION_ORG_KEY)
    if chosen is not None:
        return _IN_ORG.first(user=user.pk, org=chosen)
    found = _FIRST_TWO.fetch(user=user.pk)
    return found[0] if len(found) == 1 else None


def must_choose(request: HttpRequest) -> bool:
    """Signed in, acting as no organization, and member of several: the chooser's job."""
    return (
        request.user.is_authenticated
        and getattr(request, "actor", None) is None
        and memberships_of(request.user).count() > 1
    )


def forget_organization(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """Each sign-in chooses anew (connected to `user_logged_in`)."""
    request.session.pop(SESSION_ORG_KEY, None)


class ActorMiddleware:
    """Attach `request.actor` (user + organization + role) for signed-in staff."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = membership_for(request)
        request.actor = (  # type: ignore[attr-defined]
            Actor(membership=membership, ip=client_ip(request)) if membership else None
        )
        return self.get_response(request)
