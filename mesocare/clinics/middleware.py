from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
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


def membership_for(request: HttpRequest) -> Membership | None:
    user = request.user
    if not user.is_authenticated:
        return None
    memberships = Membership.objects.select_related(
        "organization", "user", "default_location"
    ).filter(user=user, is_active=True)
    chosen = request.session.get(SESSION_ORG_KEY)
    if chosen is not None:
        membership = memberships.filter(organization_id=chosen).first()
        if membership is not None:
            return membership
    return memberships.order_by("organization_id").first()


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
