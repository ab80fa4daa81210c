"""Communication: messages sent to patients (reminders, aftercare, check-ins, recalls)."""

from __future__ import annotations

from typing import Any

from mesocare.clinics.permissions import Perm
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, ref, when
from mesocare.fhir.search import date_filter
from mesocare.notify.models import OutboxMessage

PARTICIPATION_MODE = "http://terminology.hl7.org/CodeSystem/v3-ParticipationMode"


def _sent(qs: Any, ctx: MappingContext) -> Any:
    return qs.filter(status="sent", patient__isnull=False)


def build(message: OutboxMessage, ctx: MappingContext) -> dict[str, Any]:
    if message.channel == "email":
        medium = {
            "coding": [{"system": PARTICIPATION_MODE, "code": "EMAILWRIT", "display": "email"}],
            "text": "Email",
        }
    else:
        medium = {"text": str(message.get_channel_display())}
    return compact(
        {
            "status": "completed",
            "medium": [medium],
            "subject": ref("Patient", message.patient_id),
            "topic": {"text": str(message.get_kind_display())},
            "sent": when(message.sent_at),
            "recipient": [ref("Patient", message.patient_id)],
            "sender": ref("Organization", message.organization_id),
        }
    )


COMMUNICATION = register(
    ResourceType(
        name="Communication",
        perm=Perm.PATIENT_VIEW,
        sources=(
            Source(
                OutboxMessage,
                build,
                last_updated="updated_at",
                scope=_sent,
                filters={"sent": date_filter("sent_at")},
            ),
        ),
        params=(SearchParam("sent", "date", "When the message was sent."),),
        documentation="Messages sent to patients (not those pending, failed or cancelled).",
    )
)
