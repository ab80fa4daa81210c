from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mesocare.clinics.actor import Actor
from mesocare.clinics.middleware import SESSION_ORG_KEY
from mesocare.clinics.models import Membership
from mesocare.patients.models import Patient
from mesocare.web.views.base import staff_view


@staff_view()
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    patients = Patient.objects.for_org(actor.org_id).filter(is_active=True)
    context = {
        "patient_count": patients.count(),
        "recent_patients": patients.order_by("-created_at")[:8],
    }
    return render(request, "web/dashboard.html", context)


@require_POST
@staff_view()
def switch_organization(request: HttpRequest, actor: Actor) -> HttpResponse:
    org_id = request.POST.get("organization", "")
    if Membership.objects.filter(
        user=actor.user, organization_id=org_id if org_id.isdigit() else -1, is_active=True
    ).exists():
        request.session[SESSION_ORG_KEY] = int(org_id)
    target = request.POST.get("next", "/")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target)
