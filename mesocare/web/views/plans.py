"""Treatment plans in the UI: the patient's "Plans" tab (list + propose), the plan page (sessions
planned/done/remaining, review, maintenance, state buttons with confirmation) and the PDF."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesocare.assessments.models import Assessment
from mesocare.assessments.services import list_assessments
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Protocol
from mesocare.catalog.services import list_protocols
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.core.scales import get_scale
from mesocare.errors import DomainError
from mesocare.lib.local_time import format_date
from mesocare.plans import services
from mesocare.plans.models import TreatmentPlan
from mesocare.plans.services.review import IN_PROGRESS
from mesocare.plans.services.states import reason_required
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.services.courses import OPEN_PLAN_STATUSES
from mesocare.web.labels import band_name, scale_name, shown_scale
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.assessments import item_fields, items_of, scale_form
from mesocare.web.views.base import apply_domain_errors, staff_view

ACTION_LABELS = {
    "activate": gettext_lazy("Activate"),
    "complete": gettext_lazy("Complete"),
    "stop": gettext_lazy("Stop"),
}


class ProtocolChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.indication.name} — {obj.name} (v{obj.version})"


class AssessmentChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        band = f" ({band_name(obj.scale_id, obj.band)})" if obj.band else ""
        when = format_date(obj.assessed_at)
        return f"{when} · {scale_name(obj.scale_id)} {obj.total.normalize():f}{band}"


class PlanForm(forms.Form):
    protocol = ProtocolChoiceField(label=gettext_lazy("Protocol"), queryset=Protocol.objects)
    baseline_assessment = AssessmentChoiceField(
        label=gettext_lazy("Baseline assessment"),
        queryset=Assessment.objects.none(),
        required=False,
        help_text=gettext_lazy("On the protocol's scale; not needed for fixed courses."),
    )
    start_on = forms.DateField(
        label=gettext_lazy("First session on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    sessions = forms.IntegerField(
        label=gettext_lazy("Sessions (leave empty for the protocol's rule)"),
        required=False,
        min_value=1,
        max_value=30,
    )
    sessions_reason = forms.CharField(
        label=gettext_lazy("Reason for a different number of sessions"),
        required=False,
        max_length=2000,
    )
    override_reason = forms.CharField(
        label=gettext_lazy("Safety override reason (only if a check blocks)"),
        required=False,
        max_length=2000,
    )

    def __init__(self, actor: Actor, history: list[Assessment], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["protocol"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = list_protocols(actor).order_by("indication__name", "name")
        baseline = self.fields["baseline_assessment"]
        assert isinstance(baseline, forms.ModelChoiceField)
        baseline.queryset = Assessment.objects.filter(pk__in=[a.pk for a in history])


class ReviewMetaForm(forms.Form):
    sessions_done = forms.IntegerField(
        label=gettext_lazy("Sessions done"),
        required=False,
        min_value=0,
        help_text=gettext_lazy("Leave empty to count the plan's assessments after the baseline."),
    )


class StatusForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, max_length=2000, widget=forms.Textarea
    )
    on = forms.DateField(
        label=gettext_lazy("Completed on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


def review_form(plan: TreatmentPlan, data: Any = None) -> forms.Form | None:
    scale_id = plan.protocol_version.snapshot.get("scale")
    if not scale_id or plan.status not in IN_PROGRESS or plan.baseline_assessment_id is None:
        return None
    scale = shown_scale(get_scale(scale_id))
    fields = {item.key: scale_form(scale, with_meta=False).fields[item.key] for item in scale.items}
    form_class = type("PlanReviewForm", (ReviewMetaForm,), fields)
    form: forms.Form = form_class(data)
    return form


@staff_view(Perm.CLINICAL_VIEW)
def patient_plans(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "plans")
    form = None
    findings = None
    if actor.can(Perm.CLINICAL_EDIT):
        history = list(list_assessments(actor, patient))
        form = PlanForm(actor, history, request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.create_plan(
                    actor,
                    patient,
                    protocol=data["protocol"],
                    baseline=data["baseline_assessment"],
                    start_on=data["start_on"],
                    sessions=data["sessions"],
                    sessions_reason=data["sessions_reason"],
                    override_reason=data["override_reason"] or None,
                    channel="web",
                )
            except DomainError as exc:
                apply_domain_errors(form, exc)
                findings = exc.context.get("findings")  # a safety block: rule and source
            else:
                messages.success(request, _("Plan proposed."))
                return redirect("web:plan-detail", plan_id=plan.pk)
    context.update(plans=list(services.list_plans(actor, patient)), form=form, findings=findings)
    return render(request, "web/plans/tab.html", context)


def _plan_context(actor: Actor, plan: TreatmentPlan) -> dict[str, Any]:
    snapshot = plan.protocol_version.snapshot
    booked = {
        a.course_index: a
        for a in plan.appointments.filter(status__in=ACTIVE_STATUSES).select_related("location")
    }
    can_book = (
        actor.can(Perm.SCHEDULE_EDIT)
        and plan.status in OPEN_PLAN_STATUSES
        and len(booked) < plan.sessions_planned
    )
    course_done = plan.sessions_done >= plan.sessions_planned
    actions = []
    if actor.can(Perm.CLINICAL_EDIT):
        # (action, label, primary): the main button is what the plan needs next — booking its
        # course, activating it, or completing it once every session is done; completing a
        # course early or stopping it stay secondary.
        actions = [
            (
                action,
                ACTION_LABELS[action],
                (action == "activate" and not can_book) or (action == "complete" and course_done),
            )
            for action, (sources, _t, _k) in services.TRANSITIONS.items()
            if plan.status in sources
        ]
    return {
        "plan": plan,
        "snapshot": snapshot,
        "scale": shown_scale(get_scale(snapshot["scale"])) if snapshot.get("scale") else None,
        "scale_id": snapshot.get("scale") or "",
        "sessions_remaining": max(plan.sessions_planned - plan.sessions_done, 0),
        "actions": actions,
        "can_book": can_book,
        "session_rows": [(s, booked.get(s.index)) for s in plan.planned_sessions.all()],
        "today": timezone.localdate(),
    }


@staff_view(Perm.CLINICAL_VIEW)
def plan_detail(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    plan = services.get_plan(actor, plan_id, channel="web")
    _patient, context = open_patient_page(actor, plan.patient_id, "plans")
    context.update(_plan_context(actor, plan))
    form = review_form(plan, request.POST or None) if actor.can(Perm.CLINICAL_EDIT) else None
    if request.method == "POST" and form is not None and form.is_valid():
        scale = context["scale"]
        try:
            result = services.review_plan(
                actor,
                plan,
                items=items_of(form, scale),
                sessions_done=form.cleaned_data["sessions_done"],
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, result.review.reason)
            return redirect("web:plan-detail", plan_id=plan.pk)
    context["review_form"] = form
    if actor.can(Perm.BILLING_VIEW):
        # the course bought for this plan's protocol: sessions paid, used and left (audited)
        from mesocare.billing.services.packages import patient_packages

        context["course_packages"] = [
            p
            for p in patient_packages(actor, plan.patient_id, channel="web")
            if p.protocol_id == plan.protocol_id
        ]
    if form is not None and context["scale"] is not None:
        context["review_items"] = item_fields(form, context["scale"])
    return render(request, "web/plans/detail.html", context)


@staff_view(Perm.CLINICAL_EDIT)
def plan_transition(request: HttpRequest, actor: Actor, plan_id: int, action: str) -> HttpResponse:
    """GET asks for confirmation (and a reason); POST changes the state."""
    plan = services.get_plan(actor, plan_id, channel="web", audit=False)
    form = StatusForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.change_status(
                actor,
                plan,
                action,
                reason=form.cleaned_data["reason"],
                on=form.cleaned_data["on"] if action == "complete" else None,
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Plan updated."))
            return redirect("web:plan-detail", plan_id=plan.pk)
    context = {
        "plan": plan,
        "action": action,
        "label": ACTION_LABELS.get(action, action),
        "form": form,
        "needs_reason": reason_required(action, plan.status),
        "cancel_url": reverse("web:plan-detail", kwargs={"plan_id": plan.pk}),
    }
    return render(request, "web/plans/confirm.html", context)


@staff_view(Perm.CLINICAL_VIEW)
def plan_pdf(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    """The printable plan for the patient (HTML rendered to PDF by weasyprint)."""
    plan = services.get_plan(actor, plan_id, channel="web", audit=False)
    pdf = plan_pdf_bytes(request, actor, plan)
    record(
        actor,
        AuditAction.EXPORT,
        plan,
        patient_id=plan.patient_id,
        summary=f"plan {plan.pk} PDF",
        channel="web",
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="plan-{plan.pk}.pdf"'
    return response


def plan_pdf_bytes(request: HttpRequest, actor: Actor, plan: TreatmentPlan) -> bytes:
    """The plan as printed for the patient, and as shared with them in the portal."""
    from weasyprint import HTML

    context = _plan_context(actor, plan)
    context["patient"] = plan.patient
    context["organization"] = actor.organization
    first = plan.appointments.select_related("location").order_by("start").first()
    context["letterhead_location"] = (
        first.location if first is not None else actor.membership.default_location
    )
    html = render_to_string("web/plans/pdf.html", context, request=request)
    pdf: bytes = HTML(string=html, base_url=request.build_absolute_uri("/")).write_pdf()
    return pdf


urlpatterns = [
    path("patients/<int:patient_id>/plans", patient_plans, name="patient-plans"),
    path("plans/<int:plan_id>", plan_detail, name="plan-detail"),
    path("plans/<int:plan_id>/pdf", plan_pdf, name="plan-pdf"),
    re_path(
        r"^plans/(?P<plan_id>[0-9]+)/(?P<action>activate|complete|stop)$",
        plan_transition,
        name="plan-transition",
    ),
]
