"""Severity assessments in the UI: the patient's "Assessments" tab (history and a trend chart per
scale), scale entry forms that show each level's anchor text, and the htmx score preview."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mesocare.assessments import services
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.core.scales import ItemDef, ScaleDef, UnknownScaleError, all_scales, get_scale
from mesocare.errors import DomainError
from mesocare.web.labels import shown_scale
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.base import apply_domain_errors, staff_view

META_FIELDS = ("assessed_at", "body_area", "notes")


def _number(value: Decimal) -> str:
    return str(int(value)) if value == value.to_integral_value() else str(value)


def item_field(item: ItemDef) -> forms.Field:
    """A radio list with each level's anchor text, or a number input for fine-grained items."""
    anchors = {value: text for value, text in item.anchors}
    if item.choices:
        choices = [
            (code, f"{code} — {anchors.get(Decimal(rank), '')}".rstrip(" —"))
            for rank, code in enumerate(item.choices, start=1)
        ]
        return forms.ChoiceField(label=item.label, choices=choices, widget=forms.RadioSelect)
    levels = int(item.maximum - item.minimum) + 1
    if item.step is None and len(anchors) == levels:
        choices = [(_number(v), f"{_number(v)} — {text}") for v, text in item.anchors]
        return forms.TypedChoiceField(
            label=item.label, choices=choices, coerce=int, widget=forms.RadioSelect
        )
    hint = " · ".join(f"{_number(v)} = {text}" for v, text in item.anchors)
    step = str(item.step) if item.step is not None else "1"
    return forms.DecimalField(
        label=item.label,
        min_value=item.minimum,
        max_value=item.maximum,
        help_text=hint,
        widget=forms.NumberInput(attrs={"step": step, "inputmode": "decimal"}),
    )


class AssessmentMetaForm(forms.Form):
    assessed_at = forms.DateTimeField(
        label=gettext_lazy("Assessed at"),
        required=False,
        help_text=gettext_lazy("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    body_area = forms.CharField(label=gettext_lazy("Body area"), required=False, max_length=64)
    notes = forms.CharField(
        label=gettext_lazy("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


def scale_form(scale: ScaleDef, data: Any = None, *, with_meta: bool = True) -> forms.Form:
    base = AssessmentMetaForm if with_meta else forms.Form
    fields = {item.key: item_field(item) for item in scale.items}
    form_class = type(f"ScaleForm_{scale.id.replace('-', '_')}", (base,), fields)
    form: forms.Form = form_class(data)
    return form


def item_fields(form: forms.Form, scale: ScaleDef) -> list[Any]:
    return [form[item.key] for item in scale.items]


def items_of(form: forms.Form, scale: ScaleDef) -> dict[str, Any]:
    return {item.key: form.cleaned_data[item.key] for item in scale.items}


def _scale_or_404(scale_id: str) -> ScaleDef:
    try:
        return shown_scale(get_scale(scale_id))
    except UnknownScaleError:
        raise Http404(_("Unknown scale.")) from None


def _shown_scales() -> list[ScaleDef]:
    return [shown_scale(scale) for scale in all_scales()]


@staff_view(Perm.CLINICAL_VIEW)
def patient_assessments(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "assessments")
    history = list(services.list_assessments(actor, patient))
    charts = []
    for scale_id, points in services.trend(history).items():
        scale = shown_scale(get_scale(scale_id))
        charts.append(
            {
                "id": f"trend-{scale_id}",
                "data_id": f"trend-{scale_id}-data",
                "scale": scale,
                "data": {
                    "label": scale.name,
                    "min": float(scale.total_min),
                    "max": float(scale.total_max),
                    "points": points,
                },
            }
        )
    context.update(
        history=history,
        charts=charts,
        scales=_shown_scales(),
        can_record=actor.can(Perm.CLINICAL_EDIT),
    )
    return render(request, "web/assessments/tab.html", context)


@staff_view(Perm.CLINICAL_EDIT)
def assessment_new(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "assessments")
    scale_id = request.POST.get("scale") or request.GET.get("scale") or ""
    if not scale_id:
        context["scales"] = _shown_scales()
        return render(request, "web/assessments/choose_scale.html", context)
    scale = _scale_or_404(scale_id)
    form = scale_form(scale, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_assessment(
                actor,
                patient,
                scale_id=scale.id,
                items=items_of(form, scale),
                assessed_at=form.cleaned_data["assessed_at"],
                body_area=form.cleaned_data["body_area"],
                notes=form.cleaned_data["notes"],
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Assessment recorded."))
            return redirect("web:patient-assessments", patient_id=patient.pk)
    context.update(scale=scale, form=form, items=item_fields(form, scale))
    return render(request, "web/assessments/form.html", context)


@require_POST
@staff_view()
def scale_preview(request: HttpRequest, actor: Actor, scale_id: str) -> HttpResponse:
    """The live total and band under a scale form (htmx): scores whatever has been rated."""
    scale = _scale_or_404(scale_id)
    form = scale_form(scale, request.POST, with_meta=False)
    form.is_valid()
    rated = [item.key for item in scale.items if item.key in form.cleaned_data]
    context: dict[str, Any] = {"scale": scale, "rated": len(rated), "count": len(scale.items)}
    if len(rated) == len(scale.items):
        try:
            result = services.score(scale.id, items_of(form, scale))
        except DomainError as exc:
            context["error"] = exc.message
        else:
            context["result"] = result
            band = next((b for b in scale.bands if b.code == result.band), None)
            context["band_label"] = band.label if band else None
    return render(request, "web/assessments/_score.html", context)


urlpatterns = [
    path(
        "patients/<int:patient_id>/assessments",
        patient_assessments,
        name="patient-assessments",
    ),
    path("patients/<int:patient_id>/assessments/new", assessment_new, name="assessment-new"),
    path("scales/<str:scale_id>/preview", scale_preview, name="scale-preview"),
]
