"""Lapsed patients: a completed course whose maintenance session is due (the recall date has
passed) and nothing booked since; and the one-click recall.

Definitions (also on the page):
- *lapsed*: the plan is completed, its maintenance due date falls in the period and is before
  today, and the patient has no booked, checked-in or completed appointment starting on or
  after that date (a no-show or a cancellation does not count as coming back);
- *recall*: the clinic's maintenance recall message (the one sent on the due date), queued
  again now through the outbox; once per plan and due date, so a second click sends nothing.

Three queries for the list, whatever the number of plans.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record, record_list_read
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.core.business import local_day
from mesocare.errors import Conflict
from mesocare.notify.choices import MessageKind
from mesocare.notify.links import RecallLink
from mesocare.notify.models import OutboxMessage
from mesocare.notify.outbox import default_timezone, enqueue
from mesocare.notify.schedules import _context
from mesocare.plans.choices import PlanStatus
from mesocare.plans.models import TreatmentPlan
from mesocare.reports.common import Filters, check
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.models import Appointment

LIMIT = 500


@dataclass
class LapsedRow:
    plan_id: int
    patient_id: int
    patient: str
    protocol: str
    completed_on: dt.date | None
    due_on: dt.date
    days_overdue: int
    recalled_at: dt.datetime | None = None


def recall_key(plan_id: int, due_on: dt.date) -> str:
    return f"plan:{plan_id}:maintenance_recall:lapsed:{due_on.isoformat()}"


def lapsed_patients(
    actor: Actor, filters: Filters, *, today: dt.date | None = None, channel: str = "web"
) -> list[LapsedRow]:
    """Lapsed plans whose due date is in the period, most overdue first (at most 500); the
    read of the listed patients is audited."""
    check(actor, filters)
    rows = lapsed_rows(actor.org_id, filters.date_from, filters.date_to, today=today)
    record_list_read(
        actor,
        "plans.treatmentplan",
        [r.patient_id for r in rows],
        summary=f"lapsed patients: {len(rows)}",
        channel=channel,
    )
    return rows


def lapsed_rows(
    org_id: int, date_from: dt.date, date_to: dt.date, *, today: dt.date | None = None
) -> list[LapsedRow]:
    """The lapsed plans of an organization whose due date is in [date_from, date_to] (three
    queries; no permission check and no audit: the callers do both)."""
    today = today or timezone.localdate()
    last = min(date_to, today - dt.timedelta(days=1))
    plans: list[Any] = list(
        TreatmentPlan.objects.for_org(org_id)
        .filter(
            status=PlanStatus.COMPLETED,
            maintenance_due_on__gte=date_from,
            maintenance_due_on__lte=last,
        )
        .order_by("maintenance_due_on", "pk")
        .values_list(
            "pk", "patient_id", "patient__given_name", "patient__family_name",
            "protocol__name", "completed_on", "maintenance_due_on",
        )[: LIMIT * 2]
    )  # fmt: skip
    patient_ids = {p[1] for p in plans}
    returned: dict[int, dt.date] = {}
    earliest = min((p[6] for p in plans), default=today)
    for patient_id, start, zone in (
        Appointment.objects.for_org(org_id)
        .filter(
            patient_id__in=patient_ids,
            status__in=ACTIVE_STATUSES,
            start__gte=dt.datetime.combine(earliest, dt.time(0), tzinfo=dt.UTC)
            - dt.timedelta(days=1),
        )
        .values_list("patient_id", "start", "location__timezone")
    ):
        day = local_day(start, ZoneInfo(zone))
        returned[patient_id] = max(returned.get(patient_id, day), day)
    rows = [
        LapsedRow(
            plan_id=pk,
            patient_id=patient_id,
            patient=f"{given} {family}".strip(),
            protocol=protocol,
            completed_on=completed_on,
            due_on=due_on,
            days_overdue=(today - due_on).days,
        )
        for pk, patient_id, given, family, protocol, completed_on, due_on in plans
        if returned.get(patient_id, dt.date.min) < due_on
    ][:LIMIT]
    keys = {recall_key(r.plan_id, r.due_on): r for r in rows}
    for key, created_at in OutboxMessage.objects.filter(
        organization_id=org_id, idempotency_key__in=list(keys)
    ).values_list("idempotency_key", "created_at"):
        keys[key].recalled_at = created_at
    rows.sort(key=lambda r: (-r.days_overdue, r.patient, r.plan_id))
    return rows


@transaction.atomic
def recall(
    actor: Actor, plan_id: int, *, today: dt.date | None = None, channel: str = "web"
) -> tuple[OutboxMessage, bool]:
    """Queue the maintenance recall of a lapsed plan now. Returns (message, queued now); a
    plan recalled before for the same due date returns the first message and queues nothing.
    Refuses a plan that is not lapsed and a patient who receives no messages."""
    actor.require(Perm.SCHEDULE_EDIT)
    today = today or timezone.localdate()
    plan = get_for_org(
        TreatmentPlan,
        actor.org_id,
        plan_id,
        queryset=TreatmentPlan.objects.select_for_update().select_related(
            "patient__organization", "protocol"
        ),
    )
    due_on = plan.maintenance_due_on
    if plan.status != PlanStatus.COMPLETED or due_on is None or due_on >= today:
        raise Conflict("not_lapsed", _("This course has no maintenance session overdue."))
    key = recall_key(plan.pk, due_on)
    earlier = OutboxMessage.objects.filter(idempotency_key=key).first()
    if earlier is not None:
        return earlier, False
    message = enqueue(
        actor,
        plan.patient,
        MessageKind.MAINTENANCE_RECALL,
        due_at=timezone.now(),
        payload={
            **_context(plan.patient, None),
            "protocol_name": plan.protocol.name,
            "due_on": due_on.isoformat(),
            "links": [
                RecallLink(
                    organization=actor.org_id, patient=plan.patient_id, plan=plan.pk
                ).message_link("recall_url")
            ],
        },
        idempotency_key=key,
        related={"plan": plan.pk},
        tz=default_timezone(actor.org_id),
    )
    if message is None:
        raise Conflict(
            "no_channel",
            _("This patient receives no messages: no address, or messages are turned off."),
        )
    record(
        actor,
        AuditAction.CREATE,
        message,
        patient_id=plan.patient_id,
        summary=f"maintenance recall queued for plan {plan.pk} (due {due_on.isoformat()})",
        channel=channel,
    )
    return message, True
