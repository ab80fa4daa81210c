"""A patient's portal access, from the patient's page: who can sign in to the record, a sign-in
link by email, a guardian's access to a minor's record, removing an access and switching an
account off or on."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError
from mesocare.notify import documents
from mesocare.portal import staff
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.base import apply_domain_errors, staff_view


class GuardianForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("Guardian's email"), max_length=254)


def _page(
    request: HttpRequest,
    actor: Actor,
    patient_id: int,
    guardian_form: GuardianForm | None = None,
    status: int = 200,
    error: str = "",
) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "overview")
    context.update(
        rows=staff.accesses_of(actor, patient),
        documents=(
            documents.shared_documents(actor, patient.pk) if actor.can(Perm.CLINICAL_VIEW) else []
        ),
        can_withdraw=actor.can(Perm.CLINICAL_EDIT),
        can_edit=actor.can(Perm.PATIENT_EDIT),
        is_minor=patient.age_on(timezone.localdate()) < 18,
        guardian_form=guardian_form or GuardianForm(),
        error=error,
    )
    return render(request, "web/patients/portal_access.html", context, status=status)


def _back(patient_id: int) -> HttpResponse:
    return redirect(reverse("web:patient-portal", kwargs={"patient_id": patient_id}))


@staff_view(Perm.PATIENT_VIEW)
def portal_access(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    return _page(request, actor, patient_id)


@require_POST
@staff_view(Perm.PATIENT_EDIT)
def portal_access_change(
    request: HttpRequest, actor: Actor, patient_id: int, action: str
) -> HttpResponse:
    patient, _context = open_patient_page(actor, patient_id, "overview")
    form = GuardianForm(request.POST) if action == "guardian" else None
    try:
        access_id = int(request.POST.get("access", "0") or 0)
        if action == "link":
            account = staff.send_sign_in_link(actor, patient)
            messages.success(request, _("A sign-in link is on its way to %s.") % account.email)
        elif action == "guardian" and form is not None:
            if not form.is_valid():
                return _page(request, actor, patient_id, form, status=422)
            staff.give_guardian_access(actor, patient, form.cleaned_data["email"])
            messages.success(request, _("The guardian can now sign in to this record."))
        elif action == "remove":
            staff.remove_access(actor, patient, access_id)
            messages.success(request, _("Access removed."))
        elif action in ("deactivate", "reactivate"):
            staff.set_account_active(actor, patient, access_id, action == "reactivate")
            messages.success(
                request,
                _("Account switched on.") if action == "reactivate" else _("Account switched off."),
            )
    except DomainError as exc:
        if form is None:
            return _page(request, actor, patient_id, status=422, error=exc.message)
        apply_domain_errors(form, exc)
        return _page(request, actor, patient_id, form, status=422)
    except ValueError:
        error = _("This portal access does not exist.")
        return _page(request, actor, patient_id, status=422, error=error)
    return _back(patient_id)


urlpatterns = [
    path("patients/<int:patient_id>/portal", portal_access, name="patient-portal"),
    path(
        "patients/<int:patient_id>/portal/<str:action>",
        portal_access_change,
        name="patient-portal-change",
    ),
]
