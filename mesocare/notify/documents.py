"""Documents the clinic shares with a patient (the plan, a session summary): stored as shared,
listed and downloaded in the patient portal, withdrawable by staff; every step audited."""

from __future__ import annotations

import hashlib

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.charting.models import TreatmentSession
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import Invalid, NotFound
from mesocare.notify.choices import DocumentKind
from mesocare.notify.models import SharedDocument
from mesocare.plans.models import TreatmentPlan

MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


@transaction.atomic
def share_plan(actor: Actor, plan: TreatmentPlan, pdf: bytes, title: str) -> SharedDocument:
    return _share(actor, plan.patient_id, DocumentKind.PLAN, title, pdf, plan=plan)


@transaction.atomic
def share_session_summary(
    actor: Actor, session: TreatmentSession, pdf: bytes, title: str
) -> SharedDocument:
    if session.signed_at is None:
        raise Invalid.field("session", _("Sign the session before sharing its summary."))
    return _share(
        actor, session.patient_id, DocumentKind.SESSION_SUMMARY, title, pdf, session=session
    )


def _share(
    actor: Actor,
    patient_id: int,
    kind: str,
    title: str,
    pdf: bytes,
    *,
    plan: TreatmentPlan | None = None,
    session: TreatmentSession | None = None,
) -> SharedDocument:
    actor.require(Perm.CLINICAL_VIEW)
    if not pdf.startswith(b"%PDF") or len(pdf) > MAX_DOCUMENT_BYTES:
        raise Invalid.field("content", _("Only a PDF of up to 20 MB can be shared."))
    document = SharedDocument.objects.create(
        organization_id=actor.org_id,
        patient_id=patient_id,
        kind=kind,
        title=title[:200],
        plan=plan,
        session=session,
        content=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        shared_by=actor.user,
    )
    record(
        actor,
        AuditAction.CREATE,
        document,
        patient_id=patient_id,
        summary=f"shared with the patient: {document.get_kind_display()}",
        channel="web",
    )
    return document


def shared_with(org_id: int, patient_id: int) -> models.QuerySet[SharedDocument]:
    """The documents this patient can see (not withdrawn), newest first, without contents."""
    return (
        SharedDocument.objects.for_org(org_id)
        .filter(patient_id=patient_id, withdrawn_at__isnull=True)
        .defer("content")
        .order_by("-shared_at", "-id")
    )


def shared_documents(actor: Actor, patient_id: int) -> list[SharedDocument]:
    """Everything shared with this patient, withdrawn documents included, for staff."""
    actor.require(Perm.CLINICAL_VIEW)
    return list(
        SharedDocument.objects.for_org(actor.org_id)
        .filter(patient_id=patient_id)
        .defer("content")
        .select_related("shared_by")
        .order_by("-shared_at", "-id")
    )


@transaction.atomic
def withdraw(actor: Actor, document_id: int) -> SharedDocument:
    actor.require(Perm.CLINICAL_EDIT)
    document = (
        SharedDocument.objects.for_org(actor.org_id)
        .defer("content")
        .select_for_update()
        .filter(pk=document_id)
        .first()
    )
    if document is None:
        raise NotFound("document", _("This document does not exist."))
    if document.withdrawn_at is None:
        document.withdrawn_at = timezone.now()
        document.save(update_fields=["withdrawn_at"])
        record(
            actor,
            AuditAction.UPDATE,
            document,
            patient_id=document.patient_id,
            summary="shared document withdrawn from the portal",
            channel="web",
        )
    return document
