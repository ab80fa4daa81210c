"""Patient messages (the outbox) and practitioner alerts over the API."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Query, Router

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.notify_schemas import AlertOut, MessageOut, MessagePage, MessageQuery
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.audit.services import record_list_read
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.notify import services
from mesocare.notify.models import OutboxMessage
from mesocare.notify.tasks import deliver_outbox

router = Router(tags=["messages"])


def message_out(m: OutboxMessage) -> dict[str, Any]:
    return {
        **{f: getattr(m, f) for f in MessageOut.model_fields if hasattr(m, f)},
        "patient_name": m.patient.full_name,
        # The API keeps its field names from when these were plain integers.
        "appointment_ref": m.appointment_id,
        "plan_ref": m.plan_id,
        "session_ref": m.session_id,
    }


@router.get("/messages", response={200: MessagePage, **PROBLEM_RESPONSES})
@requires(Perm.PATIENT_VIEW)
def list_messages(request: HttpRequest, params: Query[MessageQuery]) -> dict[str, Any]:
    actor = actor_of(request)
    actor.require(Perm.PATIENT_VIEW)
    qs = OutboxMessage.objects.for_org(actor.org_id).select_related("patient")
    if params.patient is not None:
        qs = qs.filter(patient_id=params.patient)
    if params.status is not None:
        qs = qs.filter(status=params.status)
    if params.kind is not None:
        qs = qs.filter(kind=params.kind)
    qs = qs.order_by("-due_at", "-id")
    shown = list(qs[params.offset : params.offset + params.limit])
    record_list_read(
        actor,
        "notify.outboxmessage",
        [m.patient_id for m in shown],
        patient_id=params.patient,
        summary=f"listed {len(shown)} messages",
        channel="api",
    )
    items = [message_out(m) for m in shown]
    return {"count": qs.count(), "limit": params.limit, "offset": params.offset, "items": items}


@router.post("/messages/{message_id}/retry", response={200: MessageOut, **PROBLEM_RESPONSES})
@requires(Perm.PATIENT_EDIT)
def retry_message(request: HttpRequest, message_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    message = get_for_org(OutboxMessage, actor.org_id, message_id)
    message = services.retry_message(actor, message)
    transaction.on_commit(deliver_outbox.enqueue)
    message = OutboxMessage.objects.select_related("patient").get(pk=message.pk)
    return message_out(message)


@router.get("/alerts", response={200: list[AlertOut], **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def list_alerts(request: HttpRequest) -> list[Any]:
    actor = actor_of(request)
    actor.require(Perm.CLINICAL_VIEW)
    return services.open_alerts(actor.org_id, limit=100)


@router.post("/alerts/{alert_id}/acknowledge", response={200: AlertOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_EDIT)
def acknowledge_alert(request: HttpRequest, alert_id: int) -> Any:
    return services.acknowledge_alert(actor_of(request), alert_id)
