"""Plan states: proposed → active → completed | stopped, with review_needed on the way.

Every change records who, when and why on the plan, as a ``PlanEvent`` and in the audit log.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.core.planning import maintenance_due
from mesocare.errors import Conflict, Invalid
from mesocare.plans.choices import PlanEventKind, PlanStatus
from mesocare.plans.models import PlanEvent, TreatmentPlan

S = PlanStatus
# action → (states it may start from, state it leads to, event kind)
TRANSITIONS: dict[str, tuple[frozenset[str], str, str]] = {
    "activate": (frozenset({S.PROPOSED, S.REVIEW_NEEDED}), S.ACTIVE, PlanEventKind.ACTIVATED),
    "complete": (frozenset({S.ACTIVE, S.REVIEW_NEEDED}), S.COMPLETED, PlanEventKind.COMPLETED),
    "stop": (
        frozenset({S.PROPOSED, S.ACTIVE, S.REVIEW_NEEDED}),
        S.STOPPED,
        PlanEventKind.STOPPED,
    ),
}
MIN_REASON = 3


def reason_required(action: str, status: str) -> bool:
    """Stopping always needs a reason; so does going on after a review asked to reconsider."""
    return action == "stop" or (action == "activate" and status == S.REVIEW_NEEDED)


@transaction.atomic
def change_status(
    actor: Actor,
    plan: TreatmentPlan,
    action: str,
    *,
    reason: str = "",
    on: dt.date | None = None,
    channel: str = "api",
) -> TreatmentPlan:
    actor.require(Perm.CLINICAL_EDIT)
    if action not in TRANSITIONS:
        raise Invalid.field("action", _("Unknown action %(a)s.") % {"a": action})
    plan = TreatmentPlan.objects.select_for_update().get(pk=plan.pk, organization_id=actor.org_id)
    sources, target, kind = TRANSITIONS[action]
    if plan.status not in sources:
        raise Conflict(
            "invalid_transition",
            _("A %(status)s plan cannot be %(action)s.")
            % {"status": plan.get_status_display().lower(), "action": _past(action)},
            current_status=plan.status,
            allowed_from=sorted(sources),
        )
    reason = (reason or "").strip()
    if reason_required(action, plan.status) and len(reason) < MIN_REASON:
        raise Invalid.field("reason", _("Give a reason."))
    if action == "complete":
        plan.completed_on = on or timezone.localdate()
        plan.maintenance_due_on = maintenance_due(plan.completed_on, plan.maintenance_interval_days)
    elif on is not None:
        raise Invalid.field("on", _("A date is only given when completing a plan."))
    before = plan.status
    transition(
        actor,
        plan,
        target,
        kind=kind,
        reason=reason,
        summary=f"plan {plan.pk}: {before} → {target}",
        changes={"reason": reason},
        channel=channel,
    )
    return plan


def _past(action: str) -> str:
    return {"activate": _("activated"), "complete": _("completed"), "stop": _("stopped")}[action]


def transition(
    actor: Actor,
    plan: TreatmentPlan,
    target: str,
    *,
    kind: str,
    summary: str,
    reason: str = "",
    changes: dict[str, Any] | None = None,
    channel: str = "api",
    event: dict[str, Any] | None = None,
) -> PlanEvent:
    """The one path for a plan's status: set `target` (a review may keep the plan where it
    is), save the plan with whatever else the caller changed on it, and record the
    `PlanEvent` and the audit entry. Runs inside the caller's transaction."""
    before, now = plan.status, timezone.now()
    if target != before:
        plan.status = target
        plan.status_changed_at, plan.status_changed_by, plan.status_reason = now, actor.user, reason
    plan.save()
    plan_event = PlanEvent.objects.create(
        organization_id=actor.org_id,
        plan=plan,
        kind=kind,
        from_status=before,
        to_status=target,
        reason=reason,
        at=now,
        by=actor.user,
        **(event or {}),
    )
    record(
        actor,
        AuditAction.UPDATE,
        plan,
        patient_id=plan.patient_id,
        summary=summary,
        changes={"status": [before, target], **(changes or {})},
        channel=channel,
    )
    return plan_event
