"""Share a plan or a signed session's summary with the patient (the same PDF staff print),
and withdraw a shared document; the patient reads them in the portal."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mesocare.charting.services import sessions
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError
from mesocare.lib.local_time import format_date
from mesocare.notify import documents
from mesocare.plans import services as plans
from mesocare.web.views.base import staff_view
from mesocare.web.views.charting import session_summary_pdf
from mesocare.web.views.plans import plan_pdf_bytes

SHARED = gettext_lazy("Shared with the patient: it is in their portal now.")


@require_POST
@staff_view(Perm.CLINICAL_VIEW)
def share_plan(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    plan = plans.get_plan(actor, plan_id, channel="web", audit=False)
    title = _("Treatment plan: %(course)s") % {"course": plan.protocol.indication}
    documents.share_plan(actor, plan, plan_pdf_bytes(request, actor, plan), title)
    messages.success(request, str(SHARED))
    return redirect(reverse("web:plan-detail", kwargs={"plan_id": plan.pk}))


@require_POST
@staff_view(Perm.CLINICAL_VIEW)
def share_session(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    session = sessions.get_session(actor, session_id, channel="web", audit=False)
    title = _("Session summary of %(day)s") % {
        "day": format_date(session.started_at, session.location)
    }
    try:
        documents.share_session_summary(
            actor, session, session_summary_pdf(request, session), title
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, str(SHARED))
    return redirect(reverse("web:session", kwargs={"session_id": session.pk}))


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def withdraw_document(request: HttpRequest, actor: Actor, document_id: int) -> HttpResponse:
    try:
        document = documents.withdraw(actor, document_id)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(reverse("web:dashboard"))
    messages.success(request, _("Withdrawn: the patient no longer sees it in the portal."))
    target = reverse("web:patient-portal", kwargs={"patient_id": document.patient_id})
    return redirect(target + "#shared")


urlpatterns = [
    path("plans/<int:plan_id>/share", share_plan, name="plan-share"),
    path("sessions/<int:session_id>/share", share_session, name="session-share"),
    path("documents/<int:document_id>/withdraw", withdraw_document, name="document-withdraw"),
]
