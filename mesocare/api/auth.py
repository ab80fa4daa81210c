"""API authentication: a bearer token, or the browser's session (with CSRF). Both yield an
Actor: the user acting in one organization."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer

from mesocare.accounts.models import ApiToken
from mesocare.clinics.actor import Actor
from mesocare.clinics.middleware import client_ip, membership_for


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        api_token = ApiToken.find_active(token)
        if api_token is None:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return Actor(membership=api_token.membership, ip=client_ip(request))


class SessionActorAuth(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        actor = getattr(request, "actor", None)
        if actor is None and request.user.is_authenticated:
            membership = membership_for(request)
            actor = Actor(membership=membership, ip=client_ip(request)) if membership else None
        if actor is None:
            return None
        if settings.MESOCARE_REQUIRE_2FA and actor.role == "admin":
            verified = getattr(request.user, "is_verified", lambda: False)()
            if not verified:
                return None
        return actor


def actor_of(request: HttpRequest) -> Actor:
    actor = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor
