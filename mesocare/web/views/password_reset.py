"""Forgot my password: the request form, and the emailed link that sets a new password.

The request page answers the same text with the same status whether or not the email has an
account; the work that depends on it (audit, link, email) runs after the client has the page
(`AfterResponse`). See mesocare.password_reset.services for the guarantees."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import SetPasswordForm
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from mesocare.clinics.middleware import client_ip
from mesocare.password_reset import services
from mesocare.web.forms.password_reset import ResetRequestForm

log = logging.getLogger(__name__)


class AfterResponse(HttpResponse):
    """A page with follow-up work that runs once the client has it: the WSGI server calls
    close() after sending the whole body (and the test client calls it before returning)."""

    def __init__(self, content: str, *, then: Callable[[], object], **kwargs: Any) -> None:
        super().__init__(content, **kwargs)
        self.then = then

    def close(self) -> None:
        try:
            self.then()
        except Exception:
            # The client has its answer already; a failure here is the operator's to see.
            log.exception("work after the response failed")
        finally:
            super().close()


@require_http_methods(["GET", "POST"])
def request_reset(request: HttpRequest) -> HttpResponse:
    form = ResetRequestForm(request.POST if request.method == "POST" else None)
    if request.method != "POST" or not form.is_valid():
        return render(request, "web/password_reset/request.html", {"form": form})
    email, ip = form.cleaned_data["email"], client_ip(request)
    if not services.accept(email, ip):
        return render(request, "web/password_reset/too_many.html", status=429)
    minutes = settings.PASSWORD_RESET_TIMEOUT // 60
    page = render_to_string("web/password_reset/sent.html", {"minutes": minutes}, request)
    return AfterResponse(page, then=lambda: services.deliver(email, ip))


class ConfirmView(auth_views.PasswordResetConfirmView):
    """Django's view (the token moves from the URL into the session before the form shows, so
    it does not leak through the Referer header); audits refused links and the completed reset."""

    template_name = "web/password_reset/confirm.html"
    success_url = reverse_lazy("web:login")
    post_reset_login = False  # sign in as usual afterwards, with the second factor

    def dispatch(self, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = super().dispatch(*args, **kwargs)
        refused = not getattr(self, "validlink", False) and response.status_code == 200
        if refused and self.user is not None:
            services.refused(self.user, client_ip(self.request))
        return response

    def form_valid(self, form: SetPasswordForm) -> HttpResponse:  # type: ignore[type-arg]
        response = super().form_valid(form)
        services.completed(form.user, client_ip(self.request))
        messages.success(self.request, _("Your password has been changed. Sign in with it."))
        return response
