"""Joining and choosing an organization: the invitation link and the chooser after sign-in."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesocare.accounts.models import User
from mesocare.clinics import invitations
from mesocare.clinics.middleware import SESSION_ORG_KEY, client_ip, memberships_of
from mesocare.clinics.models import Membership
from mesocare.errors import DomainError
from mesocare.web.views.base import apply_domain_errors

# The invitee is signed in by the password they just chose, not through a login form.
BACKEND = "django.contrib.auth.backends.ModelBackend"


class NewMemberForm(forms.Form):
    full_name = forms.CharField(label=gettext_lazy("Your name"), max_length=150)
    password = forms.CharField(
        label=gettext_lazy("Choose a password"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password_again = forms.CharField(
        label=gettext_lazy("The password again"),
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("password") and data.get("password") != data.get("password_again"):
            self.add_error("password_again", _("The two passwords differ."))
        return data


def _enter(request: HttpRequest, membership: Membership) -> HttpResponse:
    request.session[SESSION_ORG_KEY] = membership.organization_id
    messages.success(request, _("Welcome to %(org)s.") % {"org": membership.organization.name})
    return redirect("web:dashboard")


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = invitations.pending(token)
    if invitation is None:
        return render(request, "web/invitations/gone.html", status=404)
    context: dict[str, object] = {"invitation": invitation}
    user = request.user
    has_account = User.objects.filter(email=invitation.email).exists()
    if user.is_authenticated:
        if user.email.lower() != invitation.email:
            return render(request, "web/invitations/other_account.html", context, status=403)
        if request.method == "POST":
            try:
                membership = invitations.accept_as_user(token, user, ip=client_ip(request))
            except DomainError as exc:
                messages.error(request, exc.message)
                return redirect("web:dashboard")
            return _enter(request, membership)
        return render(request, "web/invitations/accept.html", context)
    if has_account:
        context["login_url"] = f"{reverse('web:login')}?next={request.path}"
        return render(request, "web/invitations/sign_in.html", context)
    form = NewMemberForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            membership = invitations.accept_as_new_user(
                token,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password"],
                ip=client_ip(request),
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            login(request, membership.user, backend=BACKEND)
            return _enter(request, membership)
    context["form"] = form
    return render(request, "web/invitations/new_account.html", context)


def _safe_next(request: HttpRequest) -> str:
    target = request.GET.get("next") or request.POST.get("next") or "/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/"


@login_required
def choose_organization(request: HttpRequest) -> HttpResponse:
    """After sign-in, a member of several organizations picks the one this session works in."""
    memberships = list(memberships_of(request.user).order_by("organization__name"))
    if request.method == "POST":
        chosen = request.POST.get("organization", "")
        for membership in memberships:
            if str(membership.organization_id) == chosen:
                request.session[SESSION_ORG_KEY] = membership.organization_id
                return redirect(_safe_next(request))
        messages.error(request, _("Choose one of your organizations."))
    return render(
        request,
        "web/choose_organization.html",
        {"choices": memberships, "next": _safe_next(request)},
    )
