"""Second-factor pages: verify after the password, set up or replace the authenticator, and the
administrator's reset of a member's authenticator (lost phone)."""

from __future__ import annotations

import io

import qrcode
import qrcode.image.svg
from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_otp import login as otp_login
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesocare.accounts import two_factor
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError
from mesocare.web.views.base import apply_domain_errors, staff_view

# The secret being set up waits in the (server-side) session until a code confirms it.
PENDING_SECRET = "mesocare_2fa_pending_secret"


class TokenForm(forms.Form):
    token = forms.CharField(
        label=gettext_lazy("6-digit code"),
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


def _is_verified(request: HttpRequest) -> bool:
    return bool(getattr(request.user, "is_verified", lambda: False)())


@login_required
def verify(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        for device in TOTPDevice.objects.devices_for_user(request.user, confirmed=True):
            if device.verify_token(form.cleaned_data["token"]):
                otp_login(request, device)
                return redirect(_safe_next(request))
        form.add_error("token", _("That code is not valid. Check your device's clock."))
    return render(request, "web/2fa_verify.html", {"form": form, "next": _safe_next(request)})


@login_required
def setup(request: HttpRequest) -> HttpResponse:
    """Set up an authenticator, or replace the current one from a session verified with it."""
    actor: Actor | None = getattr(request, "actor", None)
    if actor is None:
        raise PermissionDenied("You are not a member of any organization.")
    verified = _is_verified(request)
    replacing = user_has_device(request.user, confirmed=True)
    if replacing and not verified:
        return redirect(f"{reverse('web:2fa-verify')}?next={reverse('web:2fa-setup')}")
    secret = request.session.get(PENDING_SECRET) or two_factor.new_secret()
    request.session[PENDING_SECRET] = secret
    form = TokenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = two_factor.enrol(
                actor, secret=secret, code=form.cleaned_data["token"], verified=verified
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            del request.session[PENDING_SECRET]
            otp_login(request, device)
            messages.success(
                request,
                _("Your new authenticator is in use.")
                if replacing
                else _("Two-factor sign-in is on."),
            )
            return redirect("web:account")
    url = two_factor.provisioning_url(actor.user, secret)
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return render(
        request,
        "web/2fa_setup.html",
        {
            "form": form,
            "qr_svg": buffer.getvalue().decode(),
            "secret_url": url,
            "replacing": replacing,
        },
    )


@staff_view(Perm.STAFF_MANAGE)
def staff_reset(request: HttpRequest, actor: Actor, membership_id: int) -> HttpResponse:
    """GET asks for confirmation; POST removes the member's authenticators (audited)."""
    membership = get_for_org(
        Membership,
        actor.org_id,
        membership_id,
        queryset=Membership.objects.select_related("user"),
    )
    back_url = reverse("web:staff-list")
    email = membership.user.email
    if request.method == "POST":
        try:
            two_factor.reset(actor, membership.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _(
                    "Two-factor sign-in of %(email)s reset: a new authenticator is set up "
                    "at the next sign-in."
                )
                % {"email": email},
            )
        return redirect(back_url)
    return render(
        request,
        "web/confirm.html",
        {
            "title": _("Reset two-factor sign-in"),
            "question": _(
                "Remove the authenticator of %(email)s? Do this only when you have confirmed "
                "who is asking (a lost or replaced phone). Until a new one is set up, the "
                "password alone signs in."
            )
            % {"email": email},
            "button": _("Reset two-factor sign-in"),
            "cancel_url": back_url,
        },
    )
