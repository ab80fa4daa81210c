"""The signed-in user's account: language, second factor, API tokens."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST
from django_otp import user_has_device

from mesocare.accounts import services
from mesocare.accounts.models import ApiToken
from mesocare.clinics.actor import Actor
from mesocare.errors import DomainError
from mesocare.web.forms.account import LanguageForm, TokenForm
from mesocare.web.views.base import apply_domain_errors, staff_view


def _page(
    request: HttpRequest,
    actor: Actor,
    *,
    language_form: LanguageForm | None = None,
    token_form: TokenForm | None = None,
    new_token: str | None = None,
) -> HttpResponse:
    return render(
        request,
        "web/account/account.html",
        {
            "language_form": language_form
            or LanguageForm(initial={"language": actor.user.language}),
            "token_form": token_form or TokenForm(),
            "tokens": services.tokens_of(actor),
            "new_token": new_token,
            "has_2fa": user_has_device(actor.user),
        },
    )


@staff_view()
def account(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _page(request, actor)


@require_POST
@staff_view()
def set_language(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = LanguageForm(request.POST)
    if form.is_valid():
        try:
            services.set_language(actor, form.cleaned_data["language"])
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            if form.cleaned_data["language"]:
                translation.activate(form.cleaned_data["language"])
            messages.success(request, _("Language saved."))
            return redirect("web:account")
    return _page(request, actor, language_form=form)


@require_POST
@staff_view()
def create_token(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = TokenForm(request.POST)
    if form.is_valid():
        _token, raw = services.issue_token(actor, form.cleaned_data["name"])
        messages.success(request, _("Token created. Copy it now: it is shown only once."))
        return _page(request, actor, new_token=raw)
    return _page(request, actor, token_form=form)


@staff_view()
def revoke_token(request: HttpRequest, actor: Actor, token_id: int) -> HttpResponse:
    """GET asks for confirmation; POST revokes."""
    token = ApiToken.objects.filter(membership=actor.membership, pk=token_id).first()
    if token is None:
        raise Http404
    if request.method == "POST":
        try:
            services.revoke_token(actor, token.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Token revoked."))
        return redirect("web:account")
    return render(
        request,
        "web/confirm.html",
        {
            "title": _("Revoke API token"),
            "question": _("Revoke the token “%(name)s”? Programs using it will stop working.")
            % {"name": token.name or token.pk},
            "button": _("Revoke"),
            "cancel_url": reverse("web:account"),
        },
    )
