"""The patient's portal account pages: sign-in (emailed link, password, second factor), the
record overview, consent signing, side-effect reports, security settings and sign-out."""

from __future__ import annotations

import datetime as dt
from typing import Any

import qrcode
import qrcode.image.svg
from django import forms
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mesocare.clinics.middleware import client_ip
from mesocare.errors import DomainError, Invalid
from mesocare.notify.links import CheckInLink, make_token
from mesocare.portal import accounts, inbox, record
from mesocare.portal.choices import SignInMethod
from mesocare.portal.models import PortalAccount, PortalTotp
from mesocare.portal.session import (
    PortalSession,
    complete_second_factor,
    pending_second_factor_account_id,
    portal_view,
    safe_next,
    sign_in,
    sign_out,
    switch_patient,
)


class EmailForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Email"), max_length=254)
    password = forms.CharField(
        label=gettext_lazy("Password (if you set one)"),
        required=False,
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("6-digit code from your authenticator app"),
        max_length=8,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}),
    )


class PasswordForm(forms.Form):
    password = forms.CharField(
        label=gettext_lazy("New password"),
        max_length=200,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(choices=[(k, k) for k in record.CONSENT_VERSIONS])
    signature = forms.CharField(max_length=record.MAX_SIGNATURE_CHARS + 1, required=False)
    agree = forms.BooleanField(label=gettext_lazy("I have read and agree to this consent"))


def portal_page(
    request: HttpRequest, template: str, context: dict[str, Any], status: int = 200
) -> Any:
    response = render(request, template, context, status=status)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _finish(request: HttpRequest, account: PortalAccount, method: str) -> HttpResponse:
    """Start the session; send to the second-factor page when one is owed."""
    home = reverse("portal:home")
    target = safe_next(request, home)
    if sign_in(request, account, method=method):
        accounts.signed_in(account, method, client_ip(request))
        return HttpResponseRedirect(target)
    if pending_second_factor_account_id(request) is None:
        # The account opens no record (access removed): nothing to sign in to.
        return portal_page(
            request,
            "portal/account/sign_in.html",
            {"form": EmailForm(), "error": _("This account has no record to show.")},
            status=403,
        )
    request.session["mesocare.portal.next"] = target
    request.session["mesocare.portal.method"] = method
    return HttpResponseRedirect(reverse("portal:second_factor"))


@never_cache
@require_http_methods(["GET", "POST"])
def sign_in_page(request: HttpRequest) -> HttpResponse:
    form = EmailForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "next": safe_next(request, "")}
    if request.method == "POST" and form.is_valid():
        email, password = form.cleaned_data["email"], form.cleaned_data["password"]
        ip = client_ip(request)
        if password:
            try:
                account = accounts.authenticate_password(email, password, ip)
            except accounts.SignInRefused as exc:
                form.add_error("password", exc.message)
                return portal_page(request, "portal/account/sign_in.html", context, status=422)
            with transaction.atomic():
                return _finish(request, account, SignInMethod.PASSWORD)
        accounts.request_magic_link(email, ip)
        return portal_page(request, "portal/account/link_sent.html", {"email": email})
    status = 422 if request.method == "POST" else 200
    return portal_page(request, "portal/account/sign_in.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def magic_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET shows a button (mail scanners that open links must not spend them); POST signs in."""
    if request.method == "GET":
        return portal_page(request, "portal/account/magic_link.html", {})
    try:
        with transaction.atomic():  # the link is spent if and only if the sign-in happens
            account = accounts.consume_magic_link(token, client_ip(request))
            return _finish(request, account, SignInMethod.MAGIC_LINK)
    except accounts.SignInRefused as exc:
        accounts.refused_link(exc, client_ip(request))
        return portal_page(
            request,
            "portal/account/sign_in.html",
            {"form": EmailForm(), "error": exc.message, "reason": exc.reason},
            status=410 if exc.reason in ("used", "expired") else 404,
        )


@never_cache
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    account_id = pending_second_factor_account_id(request)
    if account_id is None:
        return HttpResponseRedirect(reverse("portal:sign_in"))
    account = PortalAccount.objects.get(pk=account_id)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        ip = client_ip(request)
        try:
            accounts.verify_second_factor(account, form.cleaned_data["code"], ip)
        except accounts.SignInRefused as exc:
            form.add_error("code", exc.message)
        else:
            target = request.session.pop("mesocare.portal.next", reverse("portal:home"))
            method = request.session.pop("mesocare.portal.method", "")
            complete_second_factor(request)
            with transaction.atomic():
                accounts.signed_in(account, f"{method}+totp", ip)
            return HttpResponseRedirect(target)
    status = 422 if request.method == "POST" else 200
    return portal_page(request, "portal/account/second_factor.html", {"form": form}, status=status)


@require_http_methods(["POST"])
def sign_out_view(request: HttpRequest) -> HttpResponse:
    sign_out(request)
    return HttpResponseRedirect(reverse("portal:sign_in"))


@portal_view
def home(request: HttpRequest, session: PortalSession) -> HttpResponse:
    data = record.overview(session, client_ip(request))
    context = {
        "session": session,
        "clinic": session.organization.name,
        "data": data,
        "documents": inbox.documents(session),
        "forms": inbox.forms_to_fill(session),
    }
    return portal_page(request, "portal/account/home.html", context)


@portal_view
@require_http_methods(["POST"])
def switch(request: HttpRequest, session: PortalSession) -> HttpResponse:
    try:
        patient_id = int(request.POST.get("patient", ""))
    except ValueError:
        patient_id = 0
    if not switch_patient(request, patient_id):
        return portal_page(request, "portal/account/not_found.html", {}, status=404)
    return HttpResponseRedirect(reverse("portal:home"))


@portal_view
@require_http_methods(["GET", "POST"])
def consent(request: HttpRequest, session: PortalSession, kind: str) -> HttpResponse:
    if kind not in record.CONSENT_VERSIONS:
        return portal_page(request, "portal/account/not_found.html", {}, status=404)
    form = ConsentForm(request.POST or None, initial={"kind": kind})
    if request.method == "POST" and form.is_valid():
        try:
            record.sign_consent(
                session, kind, form.cleaned_data["signature"] or "", client_ip(request)
            )
        except Invalid as exc:
            for error in exc.errors or [{"field": "", "message": exc.message}]:
                field = error.get("field")
                shown = field in ("signature", "agree")  # `kind` is a hidden input
                form.add_error(field if shown else None, error["message"])
        else:
            return HttpResponseRedirect(reverse("portal:home") + "#consents")
    context = {
        "session": session,
        "clinic": session.organization.name,
        "form": form,
        "kind": kind,
        "version": record.CONSENT_VERSIONS[kind],
        "template": f"portal/consents/{kind}.html",
    }
    status = 422 if request.method == "POST" else 200
    return portal_page(request, "portal/account/consent.html", context, status=status)


@portal_view
def report_side_effect(request: HttpRequest, session: PortalSession, session_id: str) -> Any:
    """Into the same check-in form the 24 h / 72 h message links open, for this session."""
    try:
        treatment = record.own_session(session, session_id)
    except DomainError:
        return portal_page(request, "portal/account/not_found.html", {}, status=404)
    after = timezone.now() - treatment.started_at
    when = "24h" if after < dt.timedelta(hours=48) else "72h"
    token = make_token(
        CheckInLink(
            organization=session.org_id, patient=session.patient.pk, session=treatment.pk, when=when
        )
    )
    return HttpResponseRedirect(reverse("portal:checkin", args=[token]))


@portal_view
@require_http_methods(["GET", "POST"])
def security(request: HttpRequest, session: PortalSession) -> HttpResponse:
    account = session.account
    ip = client_ip(request)
    password_form = PasswordForm(request.POST if "password" in request.POST else None)
    code_form = CodeForm(request.POST if "code" in request.POST else None)
    device = PortalTotp.objects.filter(account=account).first()
    message = ""
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "password" and password_form.is_valid():
                accounts.set_password(account, password_form.cleaned_data["password"], ip)
                message = _("Your password is set.")
            elif action == "totp_start":
                device = accounts.start_totp(account)
            elif action == "totp_confirm" and code_form.is_valid():
                accounts.confirm_totp(account, code_form.cleaned_data["code"], ip)
                device = PortalTotp.objects.filter(account=account).first()
                message = _("Your authenticator app is set up.")
        except DomainError as exc:
            field = exc.errors[0]["field"] if exc.errors else None
            target = password_form if action == "password" else code_form
            target.add_error(field if field in target.fields else None, exc.message)
    qr = ""
    if device is not None and not device.confirmed:
        image = qrcode.make(accounts.totp_uri(device), image_factory=qrcode.image.svg.SvgPathImage)
        qr = image.to_string(encoding="unicode")
    context = {
        "session": session,
        "clinic": session.organization.name,
        "password_form": password_form,
        "code_form": code_form,
        "device": device,
        "qr": qr,
        "message": message,
        "has_password": bool(account.password),
    }
    return portal_page(request, "portal/account/security.html", context)


class ErasureForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Anything the clinic should know (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


@portal_view
@require_http_methods(["GET", "POST"])
def data(request: HttpRequest, session: PortalSession) -> HttpResponse:
    form = ErasureForm(request.POST or None)
    requested = False
    if request.method == "POST" and form.is_valid():
        record.request_erasure(session, form.cleaned_data["reason"], client_ip(request))
        requested = True
        form = ErasureForm()
    context = {
        "session": session,
        "clinic": session.organization.name,
        "form": form,
        "requested": requested,
    }
    status = 422 if request.method == "POST" and not requested else 200
    return portal_page(request, "portal/account/data.html", context, status=status)


@portal_view
def record_json(request: HttpRequest, session: PortalSession) -> HttpResponse:
    response = JsonResponse(
        record.export_record(session, client_ip(request)), json_dumps_params={"indent": 2}
    )
    response["Content-Disposition"] = 'attachment; filename="my-record.json"'
    return response


@portal_view
def record_pdf(request: HttpRequest, session: PortalSession) -> HttpResponse:
    response = HttpResponse(record.record_pdf(session, client_ip(request)), "application/pdf")
    response["Content-Disposition"] = 'attachment; filename="my-record.pdf"'
    return response
