"""Staff pages for patient messages (the outbox) and practitioner alerts, plus their
dashboard cards."""

from __future__ import annotations

from typing import Any

from django.contrib import messages as flash
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesocare.audit.services import record_list_read
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Conflict
from mesocare.notify import services
from mesocare.notify.choices import MessageKind, MessageStatus
from mesocare.notify.models import OutboxMessage
from mesocare.notify.rendering import render_message
from mesocare.notify.tasks import deliver_outbox
from mesocare.web.alert_text import alert_texts
from mesocare.web.pagination import paginate, query_without_page
from mesocare.web.views.base import staff_view


def delivery_card(actor: Actor) -> dict[str, Any]:
    """The admin alert: failure rate of the last 24 hours (alarming above 20 %)."""
    rate = services.failure_rate(actor.org_id)
    pending = OutboxMessage.objects.for_org(actor.org_id).filter(status=MessageStatus.PENDING)
    return {"rate": rate, "percent": round(rate.rate * 100), "pending": pending.count()}


def alerts_card(actor: Actor) -> dict[str, Any]:
    return {
        "alerts": alert_texts(actor.org_id, services.open_alerts(actor.org_id, limit=20)),
        # Acknowledging is a clinical act: the auditor sees alerts but does not clear them.
        "can_acknowledge": actor.can(Perm.CLINICAL_EDIT),
    }


def check_ins_card(actor: Actor) -> dict[str, Any]:
    """What patients reported after their sessions (last 7 days), also below the alert
    threshold: a grade-2 bruise raises no alert, but the practitioner should see it."""
    import datetime as dt

    from django.utils import timezone

    from mesocare.portal.models import CheckInResponse

    since = timezone.now() - dt.timedelta(days=7)
    rows = (
        CheckInResponse.objects.for_org(actor.org_id)
        .filter(submitted_at__gte=since, max_grade__gte=1)
        .select_related("patient")
        .order_by("-max_grade", "-submitted_at")[:20]
    )
    return {"check_ins": list(rows)}


@staff_view(Perm.PATIENT_VIEW)
def message_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    qs = OutboxMessage.objects.for_org(actor.org_id).select_related("patient")
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    patient = request.GET.get("patient", "")
    if status in MessageStatus.values:
        qs = qs.filter(status=status)
    if kind in MessageKind.values:
        qs = qs.filter(kind=kind)
    if patient.isdigit():
        qs = qs.filter(patient_id=int(patient))
    page = paginate(request, qs.order_by("-due_at", "-id"), per_page=50)
    page.object_list = list(page.object_list)
    record_list_read(
        actor,
        "notify.outboxmessage",
        [m.patient_id for m in page.object_list],
        patient_id=int(patient) if patient.isdigit() else None,
        summary=f"listed {len(page.object_list)} messages",
        channel="web",
    )
    context = {
        "page": page,
        "page_query": query_without_page(request),
        "statuses": MessageStatus.choices,
        "kinds": MessageKind.choices,
        "status": status,
        "kind": kind,
        "patient": patient,
        "rate": services.failure_rate(actor.org_id),
    }
    return render(request, "web/notify/messages.html", context)


@staff_view(Perm.PATIENT_VIEW)
def message_preview(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = get_for_org(
        OutboxMessage,
        actor.org_id,
        message_id,
        queryset=OutboxMessage.objects.select_related("patient"),
    )
    rendered = render_message(message)
    return render(request, "web/notify/preview.html", {"message": message, "rendered": rendered})


@require_POST
@staff_view(Perm.PATIENT_EDIT)
def message_retry(request: HttpRequest, actor: Actor, message_id: int) -> HttpResponse:
    message = get_for_org(OutboxMessage, actor.org_id, message_id)
    try:
        services.retry_message(actor, message)
    except Conflict as exc:
        flash.error(request, exc.message)
    else:
        transaction.on_commit(deliver_outbox.enqueue)
        flash.success(request, _("The message will be sent again now."))
    return redirect(request.POST.get("next") or "web:message-list")


@require_POST
@staff_view(Perm.CLINICAL_EDIT)
def alert_acknowledge(request: HttpRequest, actor: Actor, alert_id: int) -> HttpResponse:
    try:
        services.acknowledge_alert(actor, alert_id)
    except Conflict as exc:
        flash.error(request, exc.message)
    return redirect(request.POST.get("next") or "web:dashboard")


urlpatterns = [
    path("messages", message_list, name="message-list"),
    path("messages/<int:message_id>", message_preview, name="message-preview"),
    path("messages/<int:message_id>/retry", message_retry, name="message-retry"),
    path("alerts/<int:alert_id>/acknowledge", alert_acknowledge, name="alert-ack"),
]
