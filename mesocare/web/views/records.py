"""Adding, ending and withdrawing records on a patient's chart, and the allergies tab."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError
from mesocare.patients.models import Allergy, Condition, Consent, Medication, Patient
from mesocare.patients.services import records
from mesocare.patients.services.registry import get_patient
from mesocare.web.forms.records import (
    AllergyForm,
    ConditionForm,
    ConsentForm,
    MedicationForm,
    WeightForm,
)
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.base import apply_domain_errors, staff_view
from mesocare.web.views.patients import render_overview

Adder = Callable[[Actor, Patient, forms.Form], Any]

# kind in the URL → (form class, its name in the overview context, service call)
ADDERS: dict[str, tuple[type[forms.Form], str, Adder]] = {
    "medications": (
        MedicationForm,
        "medication_form",
        lambda a, p, f: records.add_medication(a, p, **f.cleaned_data),
    ),
    "conditions": (
        ConditionForm,
        "condition_form",
        lambda a, p, f: records.add_condition(a, p, **f.cleaned_data),
    ),
    "weights": (
        WeightForm,
        "weight_form",
        lambda a, p, f: records.record_weight(a, p, **f.cleaned_data),
    ),
    "consents": (
        ConsentForm,
        "consent_form",
        lambda a, p, f: records.add_consent(a, p, **f.cleaned_data),
    ),
}
SUCCESS = {
    "medications": lambda: _("Medication recorded."),
    "conditions": lambda: _("Condition recorded."),
    "weights": lambda: _("Weight recorded."),
    "consents": lambda: _("Consent recorded."),
}

ENDABLE: dict[str, type[Allergy] | type[Medication] | type[Condition]] = {
    "allergies": Allergy,
    "medications": Medication,
    "conditions": Condition,
}


@require_POST
@staff_view(Perm.INTAKE_RECORD)
def add_record(request: HttpRequest, actor: Actor, patient_id: int, kind: str) -> HttpResponse:
    if kind not in ADDERS:
        raise Http404
    form_class, context_name, add = ADDERS[kind]
    patient = get_patient(actor, patient_id, channel="web")
    form = form_class(request.POST)
    if form.is_valid():
        try:
            add(actor, patient, form)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, SUCCESS[kind]())
            return redirect("web:patient-detail", patient_id=patient.pk)
    return render_overview(request, actor, patient.pk, bound={context_name: form})


def _allergies_page(
    request: HttpRequest, actor: Actor, patient_id: Any, form: AllergyForm | None = None
) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "allergies")
    context["allergies"] = list(
        records.list_records(actor, patient, Allergy).order_by("-is_active", "substance", "id")
    )
    if actor.can(Perm.INTAKE_RECORD):
        context["allergy_form"] = form or AllergyForm()
    context["can_end"] = actor.can(Perm.CLINICAL_EDIT)
    return render(request, "web/patients/allergies.html", context)


@staff_view(Perm.ALLERGY_VIEW)
def patient_allergies(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    return _allergies_page(request, actor, patient_id)


@require_POST
@staff_view(Perm.INTAKE_RECORD)
def add_allergy(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient = get_patient(actor, patient_id, channel="web")
    form = AllergyForm(request.POST)
    if form.is_valid():
        try:
            records.add_allergy(actor, patient, **form.service_values())
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Allergy recorded."))
            return redirect("web:patient-allergies", patient_id=patient.pk)
    return _allergies_page(request, actor, patient.pk, form)


def _confirm(request: HttpRequest, *, title: str, question: str, button: str, cancel: str) -> Any:
    return render(
        request,
        "web/confirm.html",
        {"title": title, "question": question, "button": button, "cancel_url": cancel},
    )


@staff_view(Perm.CLINICAL_EDIT)
def end_record(
    request: HttpRequest, actor: Actor, patient_id: int, kind: str, record_id: int
) -> HttpResponse:
    """GET asks for confirmation; POST ends the record (kept in the history)."""
    if kind not in ENDABLE:
        raise Http404
    patient = get_patient(actor, patient_id, channel="web")
    instance = records.get_record(actor, patient, ENDABLE[kind], record_id)
    tab = "web:patient-allergies" if kind == "allergies" else "web:patient-detail"
    back_url = reverse(tab, kwargs={"patient_id": patient.pk})
    if request.method == "POST":
        try:
            records.deactivate_record(actor, instance)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(record)s ended.") % {"record": instance})
        return redirect(back_url)
    return _confirm(
        request,
        title=_("End record"),
        question=_("End “%(record)s” for %(patient)s? It stays in the history.")
        % {"record": instance, "patient": patient},
        button=_("End"),
        cancel=back_url,
    )


@staff_view(Perm.INTAKE_RECORD)
def withdraw_consent(
    request: HttpRequest, actor: Actor, patient_id: int, consent_id: int
) -> HttpResponse:
    """GET asks for confirmation; POST records the withdrawal (dated today)."""
    patient = get_patient(actor, patient_id, channel="web")
    consent = records.get_record(actor, patient, Consent, consent_id, to_change=Perm.INTAKE_RECORD)
    back_url = reverse("web:patient-detail", kwargs={"patient_id": patient.pk})
    if request.method == "POST":
        try:
            records.withdraw_consent(actor, consent)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Consent withdrawn."))
        return redirect(back_url)
    return _confirm(
        request,
        title=_("Withdraw consent"),
        question=_("Record that %(patient)s withdrew “%(consent)s” today?")
        % {"consent": consent, "patient": patient},
        button=_("Withdraw"),
        cancel=back_url,
    )
