"""Second factor (TOTP): verify after password sign-in; enforce for admins when required."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django_otp import user_has_device

EXEMPT_PREFIXES = ("/static/", "/api/", "/login", "/logout", "/account/2fa", "/p/")


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            verified = getattr(user, "is_verified", lambda: False)()
            if not verified and user_has_device(user):
                return redirect(f"/account/2fa/verify?next={request.path}")
            actor = getattr(request, "actor", None)
            if (
                settings.MESOCARE_REQUIRE_2FA
                and actor is not None
                and actor.role == "admin"
                and not verified
            ):
                return redirect("/account/2fa/setup")
        return self.get_response(request)
