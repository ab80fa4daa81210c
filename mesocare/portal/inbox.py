"""The signed-in patient's inbox: the forms to fill before a visit, the documents the clinic
shared and the messages it sent, read for ONE patient in that patient's organization and
audited as the patient's reads."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.errors import NotFound
from mesocare.notify.choices import MessageStatus
from mesocare.notify.documents import shared_with
from mesocare.notify.links import PreCareLink, make_token
from mesocare.notify.models import OutboxMessage, SharedDocument
from mesocare.notify.rendering import Rendered, render_message
from mesocare.portal.accounts import audit
from mesocare.portal.models import PreCareConfirmation
from mesocare.portal.session import PortalSession
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment

MESSAGES_SHOWN = 100


@dataclass(frozen=True)
class FormToFill:
    appointment: Appointment
    url: str
    items: int


def forms_to_fill(session: PortalSession, now: dt.datetime | None = None) -> list[FormToFill]:
    """Pre-care instructions to confirm before each upcoming appointment (those a pre-care link
    could still open), soonest first; the form is the same one the message link opens."""
    now = now or timezone.now()
    upcoming = list(
        Appointment.objects.for_org(session.org_id)
        .filter(
            patient=session.patient,
            status=AppointmentStatus.BOOKED,
            start__gt=now,
            start__lte=now + PreCareLink.max_age,
            plan__protocol__pre_care__isnull=False,
        )
        .select_related("location", "plan__protocol__pre_care")
        .order_by("start")
    )
    answered = set(
        PreCareConfirmation.objects.for_org(session.org_id)
        .filter(appointment__in=upcoming)
        .values_list("appointment_id", flat=True)
    )
    forms = []
    for appointment in upcoming:
        plan = appointment.plan
        instructions = plan.protocol.pre_care if plan is not None else None
        if appointment.pk in answered or instructions is None or not instructions.items:
            continue
        link = PreCareLink(
            organization=session.org_id,
            patient=session.patient.pk,
            appointment=appointment.pk,
            instruction_set=instructions.code,
        )
        url = reverse(PreCareLink.url_name, args=[make_token(link)])
        forms.append(FormToFill(appointment, url, len(instructions.items)))
    return forms


def documents(session: PortalSession) -> list[SharedDocument]:
    return list(shared_with(session.org_id, session.patient.pk))


def sent_messages(session: PortalSession, limit: int = MESSAGES_SHOWN) -> list[OutboxMessage]:
    """The messages the clinic sent this patient, newest first (no contents: rendered on
    opening one)."""
    return list(
        OutboxMessage.objects.for_org(session.org_id)
        .filter(patient=session.patient, status=MessageStatus.SENT)
        .only("pk", "kind", "channel", "sent_at", "timezone", "patient_id", "organization_id")
        .order_by("-sent_at", "-id")[:limit]
    )


def _read(session: PortalSession, summary: str, obj_type: str, obj_id: int, ip: str | None) -> None:
    with transaction.atomic():
        audit(
            session.account,
            AuditAction.READ,
            summary,
            obj_type=obj_type,
            obj_id=str(obj_id),
            patient_id=session.patient.pk,
            ip=ip,
        )


def document_pdf(session: PortalSession, document_id: int, ip: str | None = None) -> SharedDocument:
    document = (
        shared_with(session.org_id, session.patient.pk)
        .defer(None)  # the content too
        .filter(pk=document_id)
        .first()
    )
    if document is None:
        raise NotFound("document", _("This document is not available."))
    _read(session, "portal: shared document opened", "notify.shareddocument", document.pk, ip)
    return document


def open_message(session: PortalSession, message_id: int, ip: str | None = None) -> Rendered:
    message = (
        OutboxMessage.objects.for_org(session.org_id)
        .filter(pk=message_id, patient=session.patient, status=MessageStatus.SENT)
        .select_related("patient", "organization")
        .first()
    )
    if message is None:
        raise NotFound("message", _("This message is not available."))
    _read(session, "portal: sent message opened", "notify.outboxmessage", message.pk, ip)
    return render_message(message)
