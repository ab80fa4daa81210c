"""Reviewing a course against its baseline with a new assessment.

Sessions done: the signed treatment sessions of the plan's course are the truth (signing one
updates the plan's count). A clinic that charts elsewhere may pass ``sessions_done``; without it
and without any signed session, the count is the number of assessments linked to the plan after
the baseline, the new one included (one review assessment per session done).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.assessments.models import Assessment
from mesocare.assessments.services import (
    as_score,
    get_assessment,
    link_to_plan,
    record_assessment,
)
from mesocare.catalog.services import course_rules
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import in_org
from mesocare.core.planning import PlanningError, Review, maintenance_due, review_course
from mesocare.errors import Conflict, Invalid
from mesocare.plans.choices import PlanEventKind, PlanStatus, ReviewOutcome
from mesocare.plans.models import TreatmentPlan
from mesocare.plans.services.creation import planning_invalid
from mesocare.plans.services.states import transition

IN_PROGRESS = (PlanStatus.ACTIVE, PlanStatus.REVIEW_NEEDED)

# What the practitioner is asked to do next, by outcome.
PROPOSALS = {
    ReviewOutcome.COMPLETE: "complete",
    ReviewOutcome.RESPONDING: "continue",
    ReviewOutcome.TOO_EARLY: "continue",
    ReviewOutcome.REVIEW_NEEDED: "stop_or_switch",
}


@dataclass(frozen=True)
class PlanReview:
    plan: TreatmentPlan
    review: Review
    assessment: Assessment
    baseline: Assessment
    proposal: str
    proposed_maintenance_on: dt.date | None


def signed_sessions(plan: TreatmentPlan) -> int:
    """Signed treatment sessions of the plan's course, by planned session or by appointment."""
    from mesocare.charting.models import TreatmentSession

    return (
        TreatmentSession.objects.for_org(plan.organization_id)
        .filter(signed_at__isnull=False)
        .filter(Q(planned_session__plan=plan) | Q(appointment__plan=plan))
        .distinct()
        .count()
    )


def sessions_done_default(plan: TreatmentPlan) -> int:
    signed = signed_sessions(plan)
    if signed:
        return signed
    linked = Assessment.objects.for_org(plan.organization_id).filter(plan=plan)
    if plan.baseline_assessment_id is not None:
        linked = linked.exclude(pk=plan.baseline_assessment_id)
    return linked.count()


def _current(
    actor: Actor,
    plan: TreatmentPlan,
    scale: str,
    assessment: Assessment | int | None,
    items: Mapping[str, Any] | None,
    scale_id: str | None,
    assessed_at: dt.datetime | None,
    body_area: str,
    channel: str,
) -> Assessment:
    if assessment is not None:
        found = (
            assessment
            if isinstance(assessment, Assessment)
            else get_assessment(actor, assessment, patient=plan.patient)
        )
        if found.patient_id != plan.patient_id or not in_org(actor, found):
            raise Invalid.field("assessment", _("This assessment belongs to another patient."))
        if found.pk == plan.baseline_assessment_id:
            raise Invalid.field("assessment", _("This is the plan's baseline: give a new one."))
        if found.scale_id != scale:
            raise Invalid.field(
                "assessment",
                _("The assessment is on %(got)s; this plan is judged on %(want)s.")
                % {"got": found.scale_id, "want": scale},
            )
        link_to_plan(found, plan)
        return found
    if items is None:
        raise Invalid.field("items", _("Give an assessment id, or a scale and its items."))
    if scale_id not in (None, "", scale):
        raise Invalid.field(
            "scale",
            _("This plan is judged on %(want)s, not %(got)s.") % {"want": scale, "got": scale_id},
        )
    return record_assessment(
        actor,
        plan.patient,
        scale_id=scale,
        items=items,
        assessed_at=assessed_at,
        body_area=body_area,
        plan=plan,
        channel=channel,
    )


@transaction.atomic
def review_plan(
    actor: Actor,
    plan: TreatmentPlan,
    *,
    assessment: Assessment | int | None = None,
    scale_id: str | None = None,
    items: Mapping[str, Any] | None = None,
    assessed_at: dt.datetime | None = None,
    body_area: str = "",
    sessions_done: int | None = None,
    channel: str = "api",
) -> PlanReview:
    """Judge the course: ``responding``, ``review_needed`` (status too), ``complete``
    (proposes completion and the maintenance date) or ``too_early``."""
    actor.require(Perm.CLINICAL_EDIT)
    plan = (
        TreatmentPlan.objects.select_for_update(of=("self",))
        .select_related("patient", "protocol_version", "baseline_assessment")
        .get(pk=plan.pk, organization_id=actor.org_id)
    )
    if plan.status not in IN_PROGRESS:
        raise Conflict(
            "plan_not_in_progress",
            _("Only an active plan can be reviewed; this one is %(status)s.")
            % {"status": plan.get_status_display()},
        )
    try:
        rules = course_rules(plan.protocol_version.snapshot)
    except PlanningError as exc:
        raise planning_invalid(exc) from None
    baseline = plan.baseline_assessment
    if not rules.scored or baseline is None:
        raise Invalid.field(
            "assessment",
            _("This plan's protocol grades no scale: judge it clinically, then complete or stop."),
            code="not_reviewable",
        )
    if sessions_done is not None and sessions_done < 0:
        raise Invalid.field("sessions_done", _("Must be 0 or more."))
    current = _current(
        actor, plan, rules.scale_id, assessment, items, scale_id, assessed_at, body_area, channel
    )
    if current.assessed_at < baseline.assessed_at:
        raise Invalid.field("assessment", _("The assessment is older than the baseline."))
    done = sessions_done if sessions_done is not None else sessions_done_default(plan)
    try:
        review = review_course(
            rules,
            as_score(baseline),
            as_score(current),
            done,
            sessions_planned=plan.sessions_planned,
        )
    except PlanningError as exc:
        raise planning_invalid(exc, default_field="assessment") from None
    outcome = ReviewOutcome(review.outcome.value)
    proposed_maintenance = None
    if outcome == ReviewOutcome.COMPLETE:
        proposed_maintenance = maintenance_due(
            timezone.localdate(current.assessed_at), plan.maintenance_interval_days
        )
    before = target = plan.status
    if outcome == ReviewOutcome.REVIEW_NEEDED:
        target = PlanStatus.REVIEW_NEEDED
    elif outcome == ReviewOutcome.RESPONDING and before == PlanStatus.REVIEW_NEEDED:
        target = PlanStatus.ACTIVE
    plan.sessions_done = done
    plan.review_outcome, plan.review_reason = outcome.value, review.reason
    plan.reviewed_at, plan.review_assessment = timezone.now(), current
    plan.maintenance_due_on = proposed_maintenance
    transition(
        actor,
        plan,
        target,
        kind=PlanEventKind.REVIEWED,
        reason=review.reason,
        summary=f"plan {plan.pk} review: {outcome.value}",
        changes={
            "review_outcome": outcome.value,
            "assessment": current.pk,
            "sessions_done": done,
        },
        channel=channel,
        event={"outcome": outcome.value, "assessment": current},
    )
    return PlanReview(
        plan=plan,
        review=review,
        assessment=current,
        baseline=baseline,
        proposal=PROPOSALS[outcome],
        proposed_maintenance_on=proposed_maintenance,
    )
