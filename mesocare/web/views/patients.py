"""Patients: list and search, register, edit, and the overview tab of the patient page."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mesocare.audit.services import record_list_read
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError
from mesocare.patients.models import Condition, Consent, Medication, Weight
from mesocare.patients.services import records
from mesocare.patients.services.registry import (
    get_patient,
    register_patient,
    search_patients,
    update_patient,
)
from mesocare.web.forms.patients import PatientForm, PatientSearchForm
from mesocare.web.forms.records import ConditionForm, ConsentForm, MedicationForm, WeightForm
from mesocare.web.pagination import paginate, query_without_page
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.base import apply_domain_errors, staff_view

SEARCH_LIMIT = 10
PAGE_SIZE = 25


@staff_view(Perm.PATIENT_VIEW)
def patient_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PatientSearchForm(request.GET or None)
    q = form.cleaned_data["q"] if form.is_valid() else ""
    page = paginate(request, search_patients(actor, q), PAGE_SIZE)
    page.object_list = list(page.object_list)
    record_list_read(
        actor,
        "patients.patient",
        [p.pk for p in page.object_list],
        summary=f"patient list ({len(page.object_list)} shown)",
        channel="web",
    )
    return render(
        request,
        "web/patients/list.html",
        {"form": form, "q": q, "page": page, "page_query": query_without_page(request)},
    )


@staff_view(Perm.PATIENT_VIEW)
def patient_search(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The top bar's live results (htmx). Without htmx the search form goes to the list."""
    q = request.GET.get("q", "")[:200]
    if not getattr(request, "htmx", False):
        return redirect(f"{reverse('web:patient-list')}?{request.GET.urlencode()}")
    results = list(search_patients(actor, q)[:SEARCH_LIMIT]) if q.strip() else []
    if results:
        record_list_read(
            actor,
            "patients.patient",
            [p.pk for p in results],
            summary=f"patient search ({len(results)} shown)",
            channel="web",
        )
    return render(request, "web/patients/_search_results.html", {"results": results, "q": q})


@staff_view(Perm.PATIENT_EDIT)
def patient_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    intake = actor.can(Perm.INTAKE_RECORD)
    form = PatientForm(request.POST or None, intake=intake)
    if request.method == "POST" and form.is_valid():
        try:
            patient = register_patient(actor, **form.service_values())
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Patient %(name)s registered.") % {"name": patient})
            return redirect("web:patient-detail", patient_id=patient.pk)
    return render(request, "web/patients/form.html", {"form": form, "patient": None})


@staff_view(Perm.PATIENT_EDIT)
def patient_edit(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = get_patient(actor, patient_id, channel="web")
    intake = actor.can(Perm.INTAKE_RECORD)
    clinical = actor.can(Perm.CLINICAL_VIEW)
    form = PatientForm(
        request.POST or None,
        intake=intake,
        initial=PatientForm.initial_from(patient, clinical=clinical),
    )
    if request.method == "POST" and form.is_valid():
        try:
            update_patient(actor, patient, **form.service_values(only_given_intake=not clinical))
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Patient details saved."))
            return redirect("web:patient-detail", patient_id=patient.pk)
    return render(
        request,
        "web/patients/form.html",
        {"form": form, "patient": patient, "intake_hidden": intake and not clinical},
    )


def render_overview(
    request: HttpRequest,
    actor: Actor,
    patient_id: Any,
    bound: dict[str, Any] | None = None,
) -> HttpResponse:
    """The overview tab; `bound` replaces an empty add form with one that failed validation."""
    patient, context = open_patient_page(actor, patient_id, "overview")
    clinical = actor.can(Perm.CLINICAL_VIEW)
    if clinical:
        context.update(
            medications=list(
                records.list_records(actor, patient, Medication).order_by("-is_active", "name")
            ),
            conditions=list(
                records.list_records(actor, patient, Condition).order_by("-is_active", "code")
            ),
            weights=list(records.list_records(actor, patient, Weight)[:10]),
            consents=list(records.list_records(actor, patient, Consent)),
        )
    if actor.can(Perm.INTAKE_RECORD):
        context.update(
            medication_form=MedicationForm(),
            condition_form=ConditionForm(),
            weight_form=WeightForm(),
            consent_form=ConsentForm(initial={"signed_by": patient.full_name}),
        )
        context.update(bound or {})
    context.update(
        clinical=clinical,
        can_end=actor.can(Perm.CLINICAL_EDIT),
        can_record=actor.can(Perm.INTAKE_RECORD),
    )
    return render(request, "web/patients/overview.html", context)


@staff_view(Perm.PATIENT_VIEW)
def patient_detail(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    return render_overview(request, actor, patient_id)
