"""Treatment plans: propose from a protocol and a baseline, review, and change state."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Status

from mesocare.api.access import requires
from mesocare.api.assessments import assessment_out, user_ref
from mesocare.api.auth import actor_of
from mesocare.api.plans_schemas import PlanIn, PlanOut, ReviewIn, ReviewOut, StatusChangeIn
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.assessments.models import Assessment
from mesocare.catalog.services import get_protocol
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.patients.services.registry import get_patient
from mesocare.plans import services
from mesocare.plans.models import TreatmentPlan

router = Router(tags=["plans"])


def baseline_out(a: Assessment | None) -> dict[str, Any] | None:
    if a is None:
        return None
    return {
        "id": a.pk,
        "scale": a.scale_id,
        "total": a.total,
        "band": a.band or None,
        "assessed_at": a.assessed_at,
    }


def plan_out(plan: TreatmentPlan) -> dict[str, Any]:
    snapshot = plan.protocol_version.snapshot
    review = None
    if plan.review_outcome:
        review = {
            "outcome": plan.review_outcome,
            "reason": plan.review_reason,
            "at": plan.reviewed_at,
            "assessment": plan.review_assessment_id,
        }
    return {
        "id": plan.pk,
        "patient": plan.patient_id,
        "protocol": {
            "id": plan.protocol_id,
            "code": snapshot.get("code", plan.protocol.code),
            "name": snapshot.get("name", plan.protocol.name),
            "version": plan.protocol_version.version,
            "scale": snapshot.get("scale") or None,
        },
        "baseline_assessment": baseline_out(plan.baseline_assessment),
        "status": plan.status,
        "sessions_planned": plan.sessions_planned,
        "sessions_by_rule": plan.sessions_by_rule,
        "sessions_reason": plan.sessions_override_reason,
        "sessions_done": plan.sessions_done,
        "sessions_remaining": max(plan.sessions_planned - plan.sessions_done, 0),
        "interval_days": {
            "min": plan.interval_min_days,
            "target": plan.interval_target_days,
            "max": plan.interval_max_days,
        },
        "response_check_session": plan.response_check_session,
        "maintenance_interval_days": plan.maintenance_interval_days,
        "session_duration_min": plan.session_duration_min,
        "room_kind": plan.room_kind,
        "start_on": plan.start_on,
        "planned_sessions": [
            {"index": s.index, "earliest": s.earliest, "target": s.target, "latest": s.latest}
            for s in plan.planned_sessions.all()
        ],
        "review": review,
        "completed_on": plan.completed_on,
        "maintenance_due_on": plan.maintenance_due_on,
        "status_changed_at": plan.status_changed_at,
        "status_changed_by": user_ref(plan.status_changed_by),
        "status_reason": plan.status_reason,
        "created_by": user_ref(plan.created_by),
        "created_at": plan.created_at,
        "history": [
            {
                "kind": e.kind,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "outcome": e.outcome,
                "reason": e.reason,
                "at": e.at,
                "by": user_ref(e.by),
            }
            for e in plan.events.all()
        ],
    }


def _fresh(actor: Actor, plan_id: int) -> dict[str, Any]:
    return plan_out(services.get_plan(actor, plan_id, audit=False))


@router.get("/patients/{patient_id}/plans", response={200: list[PlanOut], **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def list_patient_plans(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    actor = actor_of(request)
    patient = get_patient(actor, patient_id)
    return [plan_out(p) for p in services.list_plans(actor, patient)]


@router.post(
    "/patients/{patient_id}/plans",
    response={201: PlanOut, **PROBLEM_RESPONSES},
    summary="Propose a course from a protocol and a baseline assessment",
)
@requires(Perm.CLINICAL_EDIT)
def create_plan(request: HttpRequest, patient_id: int, payload: PlanIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    patient = get_patient(actor, patient_id)
    plan = services.create_plan(
        actor,
        patient,
        protocol=get_protocol(actor, payload.protocol),
        baseline=payload.baseline_assessment,
        start_on=payload.start_on,
        sessions=payload.sessions,
        sessions_reason=payload.sessions_reason,
        override_reason=payload.override_reason,
    )
    return Status(201, _fresh(actor, plan.pk))


@router.get("/plans/{plan_id}", response={200: PlanOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def get_plan(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    return plan_out(services.get_plan(actor_of(request), plan_id))


@router.post(
    "/plans/{plan_id}/review",
    response={200: ReviewOut, **PROBLEM_RESPONSES},
    summary="Review the course with an assessment (an id, or a scale and items to score)",
)
@requires(Perm.CLINICAL_EDIT)
def review_plan(request: HttpRequest, plan_id: int, payload: ReviewIn) -> dict[str, Any]:
    actor = actor_of(request)
    plan = services.get_plan(actor, plan_id, audit=False)
    result = services.review_plan(
        actor,
        plan,
        assessment=payload.assessment,
        scale_id=payload.scale,
        items=payload.items,
        assessed_at=payload.assessed_at,
        body_area=payload.body_area,
        sessions_done=payload.sessions_done,
    )
    review = result.review
    return {
        "plan": result.plan.pk,
        "outcome": review.outcome.value,
        "proposal": result.proposal,
        "reason": review.reason,
        "status": result.plan.status,
        "improvement": review.improvement,
        "improvement_pct": review.improvement_pct,
        "responding": review.responding,
        "target_reached": review.target_reached,
        "baseline": baseline_out(result.baseline),
        "assessment": assessment_out(result.assessment),
        "current_band": review.current_band,
        "sessions_done": review.sessions_done,
        "sessions_planned": review.sessions_planned,
        "proposed_maintenance_on": result.proposed_maintenance_on,
    }


def _transition(request: HttpRequest, plan_id: int, action: str, payload: StatusChangeIn) -> Any:
    actor = actor_of(request)
    plan = services.get_plan(actor, plan_id, audit=False)
    services.change_status(actor, plan, action, reason=payload.reason, on=payload.on)
    return _fresh(actor, plan_id)


@router.post("/plans/{plan_id}/activate", response={200: PlanOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_EDIT)
def activate_plan(request: HttpRequest, plan_id: int, payload: StatusChangeIn) -> Any:
    return _transition(request, plan_id, "activate", payload)


@router.post("/plans/{plan_id}/complete", response={200: PlanOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_EDIT)
def complete_plan(request: HttpRequest, plan_id: int, payload: StatusChangeIn) -> Any:
    return _transition(request, plan_id, "complete", payload)


@router.post("/plans/{plan_id}/stop", response={200: PlanOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_EDIT)
def stop_plan(request: HttpRequest, plan_id: int, payload: StatusChangeIn) -> Any:
    return _transition(request, plan_id, "stop", payload)
