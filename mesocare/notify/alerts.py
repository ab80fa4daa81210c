"""Alerts for practitioners (worrying check-ins) and the delivery failure rate for admins."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Conflict
from mesocare.notify.choices import MessageStatus
from mesocare.notify.models import Alert, OutboxMessage

FAILURE_RATE_THRESHOLD = 0.20
FAILURE_WINDOW = dt.timedelta(hours=24)


def raise_alert(
    org_id: int,
    *,
    kind: str,
    severity: str,
    message: str,
    patient_id: int | None = None,
    details: dict[str, Any] | None = None,
    source_ref: str = "",
) -> Alert:
    """Create an alert, once per (kind, source_ref) when a source is given."""
    if source_ref:
        existing = Alert.objects.for_org(org_id).filter(kind=kind, source_ref=source_ref).first()
        if existing is not None:
            return existing
    return Alert.objects.create(
        organization_id=org_id,
        patient_id=patient_id,
        kind=kind,
        severity=severity,
        message=message,
        details=details or {},
        source_ref=source_ref,
    )


@transaction.atomic
def acknowledge_alert(actor: Actor, alert_id: int) -> Alert:
    actor.require(Perm.CLINICAL_EDIT)
    alert = get_for_org(Alert, actor.org_id, alert_id, queryset=Alert.objects.select_for_update())
    if alert.acknowledged_at is not None:
        raise Conflict("already_acknowledged", _("This alert was already acknowledged."))
    alert.acknowledged_at = timezone.now()
    alert.acknowledged_by = actor.user
    alert.save(update_fields=["acknowledged_at", "acknowledged_by"])
    record(actor, AuditAction.UPDATE, alert, patient_id=alert.patient_id, summary="alert seen")
    return alert


def open_alerts(org_id: int, limit: int = 20) -> list[Alert]:
    qs = Alert.objects.for_org(org_id).filter(acknowledged_at__isnull=True)
    return list(qs.select_related("patient").order_by("-created_at", "-id")[:limit])


@dataclass(frozen=True)
class FailureRate:
    failed: int
    finished: int

    @property
    def rate(self) -> float:
        return self.failed / self.finished if self.finished else 0.0

    @property
    def alarming(self) -> bool:
        return self.rate > FAILURE_RATE_THRESHOLD


def failure_rate(org_id: int, now: dt.datetime | None = None) -> FailureRate:
    """Failed / (sent + failed) among messages last attempted in the past 24 hours."""
    since = (now or timezone.now()) - FAILURE_WINDOW
    counts = (
        OutboxMessage.objects.for_org(org_id)
        .filter(last_attempt_at__gte=since)
        .aggregate(
            # COUNT(status), not COUNT(id): the counts come from `outbox_org_recent` alone.
            failed=Count("status", filter=Q(status=MessageStatus.FAILED)),
            finished=Count(
                "status", filter=Q(status__in=[MessageStatus.SENT, MessageStatus.FAILED])
            ),
        )
    )
    return FailureRate(failed=counts["failed"], finished=counts["finished"])
