from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mesocare.clinics.actor import Actor
from mesocare.clinics.middleware import SESSION_ORG_KEY
from mesocare.clinics.models import Membership
from mesocare.web.dashboard import cards_for
from mesocare.web.views.base import staff_view


@staff_view()
def dashboard(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Cards from the registry in `mesocare.web.dashboard`, for the actor's role."""
    return render(request, "web/dashboard.html", {"cards": cards_for(actor)})


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
