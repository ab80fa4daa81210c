"""Organization → Legal details: the clinic as seller on its invoices (admins edit, auditors
read)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from mesocare.clinics import legal, letterhead
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import LegalDetails
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError
from mesocare.web.forms.billing import LegalDetailsForm
from mesocare.web.views.base import apply_domain_errors, staff_view


@staff_view(Perm.ORG_MANAGE, Perm.AUDIT_VIEW)
def legal_details(request: HttpRequest, actor: Actor) -> HttpResponse:
    details = legal.legal_details(actor.org_id)
    organization = actor.organization
    if not actor.can(Perm.ORG_MANAGE):
        return render(
            request,
            "web/billing/legal_details.html",
            {"details": details, "form": None, "organization": organization},
        )
    instance = details or LegalDetails(organization_id=actor.org_id)
    form = LegalDetailsForm(request.POST or None, request.FILES or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        values = {key: form.cleaned_data[key] for key in legal.FIELDS}
        try:
            with transaction.atomic():
                legal.save_legal_details(actor, **values)
                upload = form.cleaned_data.get("logo")
                if upload is not None:
                    letterhead.store_logo(actor, upload.read())
                elif form.cleaned_data.get("remove_logo") and organization.logo:
                    letterhead.remove_logo(actor)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Legal details saved."))
            return redirect("web:legal-details")
    return render(
        request,
        "web/billing/legal_details.html",
        {
            "details": details,
            "form": form,
            "organization": organization,
            "logo_uri": letterhead.logo_data_uri(organization),
        },
    )
