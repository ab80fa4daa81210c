"""Reading stored checks and the overrides report."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Forbidden
from mesocare.safety.models import SafetyCheck, SafetyOverride


def override_queryset(org_id: int) -> QuerySet[SafetyOverride]:
    return (
        SafetyOverride.objects.for_org(org_id)
        .select_related("safety_check", "patient", "by")
        .order_by("-at", "-id")
    )


def get_check(actor: Actor, check_id: Any, *, channel: str = "") -> SafetyCheck:
    """A stored check (audited read); clinical roles, reception (it runs them) and auditors."""
    if not (actor.can(Perm.SAFETY_CHECK) or actor.can(Perm.AUDIT_VIEW)):
        raise Forbidden("forbidden", "Your role may not read safety checks.")
    check = get_for_org(SafetyCheck, actor.org_id, check_id)
    record(
        actor,
        AuditAction.READ,
        check,
        patient_id=check.patient_id,
        summary=f"safety check {check.pk}",
        channel=channel,
    )
    return check


def list_overrides(
    actor: Actor, *, patient_id: int | None = None, channel: str = ""
) -> QuerySet[SafetyOverride]:
    """The overrides report (admin, auditor), newest first; the read is audited."""
    actor.require(Perm.AUDIT_VIEW)
    qs = override_queryset(actor.org_id)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    record(
        actor,
        AuditAction.READ,
        object_type="safety.safetyoverride",
        patient_id=patient_id,
        summary="safety overrides report",
        channel=channel,
    )
    return qs
