"""`Cache-Control: no-store` on every response that may carry patient data.

Browsers, proxies and shared computers at a front desk must not keep copies of PHI: API answers
to an authenticated request (bearer token or session), every page a signed-in staff member sees,
and every portal page (signed links show a patient's own data without a staff login).
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

PORTAL_PREFIX = "/p/"


def carries_patient_data(request: HttpRequest) -> bool:
    if request.path.startswith(PORTAL_PREFIX):
        return True
    if "HTTP_AUTHORIZATION" in request.META or settings.SESSION_COOKIE_NAME in request.COOKIES:
        return True
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated)


class NoStoreMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if carries_patient_data(request):
            response["Cache-Control"] = "no-store"
        return response
