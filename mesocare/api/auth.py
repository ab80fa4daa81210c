"""API authentication: a bearer token, or the browser's session (with CSRF). Both yield an
Actor: the user acting in one organization."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import APIKeyCookie, HttpBearer

from mesocare.accounts.models import ApiToken
from mesocare.accounts.two_factor import Missing, missing_factor
from mesocare.clinics.actor import Actor
from mesocare.clinics.middleware import client_ip, membership_for
from mesocare.errors import DomainError


class BearerTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Actor | None:
        api_token = ApiToken.find_active(token)
        if api_token is None:
            return None
        now = timezone.now()
        if api_token.last_used_at is None or (now - api_token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=api_token.pk).update(last_used_at=now)
        return Actor(membership=api_token.membership, ip=client_ip(request))


class SecondFactorRequired(DomainError):
    """401: the session signed in with a password only, and the second factor is due."""

    status = 401
    title = "Authentication required"


class SessionActorAuth(APIKeyCookie):
    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        # CSRF protects a session from forged requests; a request without a session cookie has
        # nothing to forge, so it is simply unauthenticated (401), not a CSRF failure (403).
        if self.param_name not in request.COOKIES:
            return None
        return super()._get_key(request)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        actor = getattr(request, "actor", None)
        if actor is None and request.user.is_authenticated:
            membership = membership_for(request)
            actor = Actor(membership=membership, ip=client_ip(request)) if membership else None
        if actor is None:
            return None
        verified = getattr(request.user, "is_verified", lambda: False)()
        missing = missing_factor(actor.user, actor.role, verified=verified)
        if missing is not None:
            # A password-only session must not reach data the second factor protects.
            raise SecondFactorRequired(
                "second_factor_required",
                _("Verify the code from your authenticator app in the browser first.")
                if missing == Missing.VERIFY
                else _("Set up two-factor sign-in in the browser first."),
            )
        return actor


def actor_of(request: HttpRequest) -> Actor:
    actor = request.auth  # type: ignore[attr-defined]
    assert isinstance(actor, Actor)
    return actor
