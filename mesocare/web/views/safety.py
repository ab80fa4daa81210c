"""Safety in the staff UI: the patient's safety panel (a tab and an htmx partial that the
booking, check-in and charting screens include), the override dialog, the overrides report
and the clinic's rule settings.

Other screens show a stored check with
``{% include "web/safety/_panel.html" with findings=check.findings check=check %}``
or load ``{% url 'web:patient-safety' patient_id=... %}?check=<id>`` with htmx.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError, Forbidden
from mesocare.patients.models import Patient
from mesocare.safety import overrides, rulesets
from mesocare.safety.models import OVERRIDE_REASON_MIN_LENGTH, SafetyCheck
from mesocare.safety.services import finding_json, record_override, run_check
from mesocare.web.pagination import paginate, query_without_page
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.base import apply_domain_errors, staff_view


class OverrideForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason for overriding"),
        min_length=OVERRIDE_REASON_MIN_LENGTH,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Why it is safe to proceed (at least 10 characters). Stored and audited."
        ),
    )


def _may_see_findings(actor: Actor) -> None:
    if not (actor.can(Perm.CLINICAL_VIEW) or actor.can(Perm.SAFETY_CHECK)):
        raise Forbidden("forbidden", _("Your role may not see safety findings."))


def _panel_context(actor: Actor, patient: Patient, check_id: str | None) -> dict[str, Any]:
    """A stored check when ``check_id`` is given, else a preview at booking with the
    patient's facts alone (nothing stored)."""
    if check_id and check_id.isdigit():
        check = overrides.get_check(actor, check_id, channel="web")
        if check.patient_id != patient.pk:
            raise Forbidden("forbidden", _("That check is for another patient."))
        findings = check.findings
        made = list(check.overrides.select_related("by").order_by("-at", "-id"))
    else:
        result = run_check(actor, patient, "booking", channel="web", store=False)
        check, findings, made = None, [finding_json(f) for f in result.report.findings], []
    blocks = [f for f in findings if f["severity"] == "block"]
    overridable = bool(blocks) and all(f["overridable"] for f in blocks)
    return {
        "patient": patient,
        "check": check,
        "findings": findings,
        "blocks": blocks,
        "warnings": [f for f in findings if f["severity"] == "warn"],
        "overrides": made,
        "can_override": (
            check is not None and overridable and not made and actor.can(Perm.SAFETY_OVERRIDE)
        ),
    }


@staff_view(Perm.PATIENT_VIEW)
def patient_safety(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    """The "Safety" tab; with htmx (``HX-Request``) only the panel partial."""
    _may_see_findings(actor)
    check_id = request.GET.get("check")
    if getattr(request, "htmx", False):
        patient = get_for_org(Patient, actor.org_id, patient_id)
        return render(request, "web/safety/_panel.html", _panel_context(actor, patient, check_id))
    patient, context = open_patient_page(actor, patient_id, "safety")
    context.update(_panel_context(actor, patient, check_id))
    return render(request, "web/safety/patient_tab.html", context)


def _next_url(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return fallback


@staff_view(Perm.SAFETY_OVERRIDE)
def override_check(request: HttpRequest, actor: Actor, check_id: int) -> HttpResponse:
    """The override dialog: a reason, by a practitioner or admin."""
    check = get_for_org(
        SafetyCheck, actor.org_id, check_id, queryset=SafetyCheck.objects.select_related("patient")
    )
    fallback = (
        reverse("web:patient-safety", kwargs={"patient_id": check.patient_id})
        + f"?check={check.pk}"
    )
    form = OverrideForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            record_override(actor, check, form.cleaned_data["reason"])
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Override recorded."))
            return redirect(_next_url(request, fallback))
    context = {
        "check": check,
        "patient": check.patient,
        "blocks": check.blocks,
        "form": form,
        "next": _next_url(request, fallback),
    }
    template = "web/safety/_override_form.html" if getattr(request, "htmx", False) else None
    return render(request, template or "web/safety/override.html", context)


@staff_view(Perm.AUDIT_VIEW)
def overrides_report(request: HttpRequest, actor: Actor) -> HttpResponse:
    qs = overrides.list_overrides(actor, channel="web")
    page = paginate(request, qs, 50)
    return render(
        request,
        "web/safety/overrides.html",
        {"page": page, "page_query": query_without_page(request)},
    )


@staff_view(Perm.ORG_VIEW)
def safety_rules(request: HttpRequest, actor: Actor) -> HttpResponse:
    return render(
        request,
        "web/safety/rules.html",
        {"rules": rulesets.rule_rows(actor), "can_manage": actor.can(Perm.ORG_MANAGE)},
    )


@require_POST
@staff_view(Perm.ORG_MANAGE)
def set_safety_rule(request: HttpRequest, actor: Actor, code: str) -> HttpResponse:
    severity = request.POST.get("severity", "")
    try:
        rulesets.set_rule_severity(actor, code, severity)
    except DomainError as exc:
        if exc.status == 404:
            raise
        messages.error(request, exc.message)
    else:
        if severity == "block":
            messages.success(request, _("%s now blocks at every moment.") % code)
        else:
            messages.success(request, _("%s is back to its default.") % code)
    return redirect("web:safety-rules")
