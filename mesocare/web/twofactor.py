"""Second factor (TOTP): a signed-in session that still owes its second factor sees only the
pages that let it pay it (verify, set up), sign out, and static files. The API refuses such a
session in its own authentication (mesocare.api.auth)."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from mesocare.accounts.two_factor import Missing, missing_factor

# /fhir/ checks the second factor itself (mesocare.fhir.auth), answering 401, not a redirect.
EXEMPT_PREFIXES = ("/static/", "/api/", "/fhir/", "/login", "/logout", "/account/2fa", "/p/")


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        actor = getattr(request, "actor", None)
        if user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            verified = getattr(user, "is_verified", lambda: False)()
            role = actor.role if actor is not None else ""
            missing = missing_factor(user, role, verified=verified)  # type: ignore[arg-type]
            if missing == Missing.VERIFY:
                return redirect("/account/2fa/verify?" + urlencode({"next": request.path}))
            if missing == Missing.ENROL:
                return redirect("/account/2fa/setup")
        return self.get_response(request)
