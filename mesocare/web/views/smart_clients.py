"""Organization → Data access: the SMART Backend Services clients that may read the
organization's FHIR data (Bulk Data export) with a signed JWT. An admin registers one (name,
public JSON Web Key Set, scopes, whose permissions it reads with), sees its client id, and
revokes it (its tokens stop at once). Every change is audited (`mesocare.fhir.smart`)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError
from mesocare.fhir import smart
from mesocare.fhir.bulk.models import SmartClient
from mesocare.web.views.base import apply_domain_errors, staff_view

SCOPE_LABELS = {
    "system/*.read": _("Read every record (system/*.read)"),
    "system/*.rs": _("Read and search every record (system/*.rs)"),
}


class SmartClientForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=200,
        help_text=_("The software or service, e.g. the regional registry."),
    )
    jwks = forms.CharField(
        label=_("Public keys (JSON Web Key Set)"),
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text=_(
            'The client\'s public RS384 or ES384 keys, each with a key id: {"keys": [...]}. '
            "Never paste a private key."
        ),
    )
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=list(SCOPE_LABELS.items()),
        initial=["system/*.read"],
        widget=forms.CheckboxSelectMultiple,
    )
    reads_as = forms.ModelChoiceField(
        label=_("Reads with the permissions of"),
        queryset=Membership.objects.none(),
        help_text=_("A member of staff, usually an auditor: the same rights, the same audit."),
    )

    def __init__(self, *args: Any, org_id: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = Membership.objects.for_org(org_id).filter(is_active=True)
        field: Any = self.fields["reads_as"]
        field.queryset = members.select_related("user").order_by("user__full_name", "pk")
        field.label_from_instance = lambda m: f"{m.user.full_name} ({m.get_role_display()})"


def _page(request: HttpRequest, actor: Actor, form: SmartClientForm) -> HttpResponse:
    clients = (
        SmartClient.objects.for_org(actor.org_id)
        .select_related("membership__user")
        .order_by("-is_active", "name", "id")
    )
    rows = [
        {
            "client": client,
            "scopes": [SCOPE_LABELS.get(scope, scope) for scope in client.scopes.split()],
            "keys": [key.get("kid", "") for key in client.jwks.get("keys", [])],
        }
        for client in clients
    ]
    return render(
        request,
        "web/org/smart_clients.html",
        {"rows": rows, "form": form, "token_url": smart.token_url()},
    )


@staff_view(Perm.ORG_MANAGE)
def smart_clients(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = SmartClientForm(
        request.POST or None,
        org_id=actor.org_id,
        initial={"reads_as": actor.membership.pk},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            client = smart.register_client(
                actor,
                name=data["name"],
                jwks=data["jwks"],
                reads_as=data["reads_as"],
                scopes=" ".join(data["scopes"]),
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                _("Client %(name)s registered. Its client id is %(client_id)s.")
                % {"name": client.name, "client_id": client.client_id},
            )
            return redirect("web:smart-clients")
    return _page(request, actor, form)


@staff_view(Perm.ORG_MANAGE)
def smart_client_revoke(request: HttpRequest, actor: Actor, client_id: int) -> HttpResponse:
    """GET asks for confirmation; POST revokes (the client's tokens stop at once)."""
    client = SmartClient.objects.for_org(actor.org_id).filter(pk=client_id, is_active=True).first()
    if client is None:
        raise Http404
    if request.method == "POST":
        smart.deactivate_client(actor, client)
        messages.success(request, _("Client %(name)s revoked.") % {"name": client.name})
        return redirect("web:smart-clients")
    return render(
        request,
        "web/confirm.html",
        {
            "title": _("Revoke data access"),
            "question": _("Revoke “%(name)s”? It can no longer read this organization's records.")
            % {"name": client.name},
            "button": _("Revoke"),
            "cancel_url": reverse("web:smart-clients"),
        },
    )


urlpatterns = [
    path("org/data-access", smart_clients, name="smart-clients"),
    path(
        "org/data-access/<int:client_id>/revoke",
        smart_client_revoke,
        name="smart-client-revoke",
    ),
]
