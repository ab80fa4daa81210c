"""Proposing a treatment plan, and reading plans."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet, prefetch_related_objects
from django.utils.translation import gettext as _

from mesocare.assessments.models import Assessment
from mesocare.assessments.services import as_score
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Protocol, ProtocolVersion
from mesocare.catalog.services import course_rules, current_version
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import OrgLookup, get_for_org, in_org, require_in_org
from mesocare.core.planning import CourseProposal, PlanningError, propose_course
from mesocare.errors import Invalid, NotFound
from mesocare.patients.models import Patient
from mesocare.plans.choices import PlanEventKind, PlanStatus
from mesocare.plans.models import PlanEvent, PlannedSession, TreatmentPlan

# Which request field a planning error is about, for problem+json `errors`.
ERROR_FIELDS = {
    "scale_mismatch": "baseline_assessment",
    "nothing_to_treat": "baseline_assessment",
    "above_protocol_maximum": "baseline_assessment",
    "invalid_assessment": "baseline_assessment",
    "baseline_required": "baseline_assessment",
    "sessions_out_of_range": "sessions",
    "override_reason_required": "sessions_reason",
}


def planning_invalid(exc: PlanningError, *, default_field: str = "protocol") -> Invalid:
    field = ERROR_FIELDS.get(exc.code, default_field)
    message = exc.message
    if exc.code == "nothing_to_treat":
        message = _("Nothing to treat: %(why)s. No course is planned for this baseline.") % {
            "why": exc.message.removesuffix(": nothing to treat")
        }
    return Invalid(exc.code, message, errors=[{"field": field, "message": message}])


PLAN_RELATED = (
    "patient",
    "protocol",
    "protocol_version",
    "baseline_assessment",
    "review_assessment",
    "created_by",
    "status_changed_by",
)
# The plan page's read, compiled once per process (mesocare.lib.compiled_query).
_PLAN = OrgLookup(TreatmentPlan, *PLAN_RELATED)


def plan_prefetches() -> list[Prefetch]:
    """A plan's planned sessions in order and its events with who made them."""
    sessions: QuerySet[PlannedSession] = PlannedSession.objects.order_by("index")
    events: QuerySet[PlanEvent] = PlanEvent.objects.select_related("by").order_by("at", "id")
    return [Prefetch("planned_sessions", sessions), Prefetch("events", events)]


def plan_queryset(actor: Actor) -> QuerySet[TreatmentPlan]:
    own: QuerySet[TreatmentPlan] = TreatmentPlan.objects.for_org(actor.org_id)
    return own.select_related(*PLAN_RELATED).prefetch_related(*plan_prefetches())


def get_plan(actor: Actor, pk: Any, *, channel: str = "api", audit: bool = True) -> TreatmentPlan:
    """One plan of the organization (404 otherwise); reading it is an audited patient read."""
    actor.require(Perm.CLINICAL_VIEW)
    plan = _PLAN(actor.org_id, pk)
    prefetch_related_objects([plan], *plan_prefetches())
    if audit:
        record(
            actor,
            AuditAction.READ,
            plan,
            patient_id=plan.patient_id,
            summary=f"plan {plan.pk}",
            channel=channel,
        )
    return plan


def list_plans(actor: Actor, patient: Patient) -> QuerySet[TreatmentPlan]:
    """The patient's plans, newest first; the caller has opened (and audited) the patient."""
    actor.require(Perm.CLINICAL_VIEW)
    return plan_queryset(actor).filter(patient=patient)


def _baseline(
    actor: Actor, patient: Patient, baseline: Assessment | int | None
) -> Assessment | None:
    if baseline is None or isinstance(baseline, Assessment):
        found = baseline
    else:
        found = get_for_org(Assessment, actor.org_id, baseline)
    if found is not None and (not in_org(actor, found) or found.patient_id != patient.pk):
        raise Invalid.field("baseline_assessment", _("This assessment belongs to another patient."))
    return found


def propose(
    actor: Actor,
    patient: Patient,
    protocol: Protocol,
    baseline: Assessment | None,
    *,
    start_on: dt.date | None = None,
    sessions: int | None = None,
    sessions_reason: str = "",
) -> tuple[CourseProposal, ProtocolVersion]:
    """The course the protocol's current version gives this baseline (nothing is stored)."""
    # Re-read: the caller's instance may predate an edit (and its version).
    protocol = Protocol.objects.filter(pk=protocol.pk).first() or protocol
    if protocol.organization_id not in (None, actor.org_id):
        raise NotFound("not_found", _("No protocol with id %(id)s.") % {"id": protocol.pk})
    if not protocol.is_active:
        raise Invalid.field("protocol", _("This protocol is no longer in use."))
    version = current_version(protocol)
    try:
        rules = course_rules(version.snapshot)
        proposal = propose_course(
            rules,
            as_score(baseline) if baseline is not None else None,
            start_on,
            sessions_override=sessions,
            override_reason=sessions_reason,
        )
    except PlanningError as exc:
        raise planning_invalid(exc) from None
    return proposal, version


def create_plan(
    actor: Actor,
    patient: Patient,
    *,
    protocol: Protocol,
    baseline: Assessment | int | None = None,
    start_on: dt.date | None = None,
    sessions: int | None = None,
    sessions_reason: str = "",
    override_reason: str | None = None,
    channel: str = "api",
) -> TreatmentPlan:
    """Propose a plan: the protocol's band rule for the baseline, its intervals and windows.

    The safety check (``mesocare.safety.services.check_plan``) runs after the inputs are
    valid and before the plan is stored, outside this function's transaction so a blocking
    check stays on record; a block is a 409 unless ``override_reason`` overrides it.
    """
    actor.require(Perm.CLINICAL_EDIT)
    require_in_org(actor, patient)
    base = _baseline(actor, patient, baseline)
    proposal, version = propose(
        actor,
        patient,
        protocol,
        base,
        start_on=start_on,
        sessions=sessions,
        sessions_reason=sessions_reason,
    )
    _check_safety(actor, patient, protocol, base, start_on, override_reason)
    return _store(actor, patient, version, base, proposal, start_on, channel)


def _check_safety(
    actor: Actor,
    patient: Patient,
    protocol: Protocol,
    baseline: Assessment | None,
    start_on: dt.date | None,
    override_reason: str | None,
) -> None:
    from mesocare.safety.services import check_plan

    check_plan(
        actor, patient, protocol, on=start_on, baseline=baseline, override_reason=override_reason
    )


@transaction.atomic
def _store(
    actor: Actor,
    patient: Patient,
    version: ProtocolVersion,
    baseline: Assessment | None,
    proposal: CourseProposal,
    start_on: dt.date | None,
    channel: str,
) -> TreatmentPlan:
    protocol = version.protocol
    plan = TreatmentPlan.objects.create(
        organization_id=actor.org_id,
        patient=patient,
        protocol=protocol,
        protocol_version=version,
        baseline_assessment=baseline,
        status=PlanStatus.PROPOSED,
        sessions_planned=proposal.sessions_planned,
        sessions_by_rule=proposal.sessions_by_rule,
        sessions_override_reason=proposal.override_reason or "",
        interval_min_days=proposal.interval.minimum,
        interval_target_days=proposal.interval.target,
        interval_max_days=proposal.interval.maximum,
        interval_min_months=proposal.interval.minimum_months,
        response_check_session=proposal.response_check_session,
        maintenance_interval_days=proposal.maintenance_interval_days,
        session_duration_min=version.snapshot["session_duration_min"],
        room_kind=version.snapshot["room_kind"],
        start_on=start_on,
        created_by=actor.user,
    )
    PlannedSession.objects.bulk_create(
        PlannedSession(
            organization_id=actor.org_id,
            plan=plan,
            index=w.index,
            earliest=w.earliest,
            target=w.target,
            latest=w.latest,
        )
        for w in proposal.planned_sessions
    )
    PlanEvent.objects.create(
        organization_id=actor.org_id,
        plan=plan,
        kind=PlanEventKind.CREATED,
        to_status=PlanStatus.PROPOSED,
        reason=proposal.override_reason or "",
        assessment=baseline,
        by=actor.user,
    )
    band = f" ({proposal.baseline_band})" if proposal.baseline_band else ""
    record(
        actor,
        AuditAction.CREATE,
        plan,
        patient_id=patient.pk,
        summary=f"plan: {protocol.code} v{version.version}, {plan.sessions_planned} sessions{band}",
        changes={
            "protocol": protocol.pk,
            "protocol_version": version.version,
            "baseline_assessment": baseline.pk if baseline else None,
            "sessions_planned": plan.sessions_planned,
            "sessions_by_rule": plan.sessions_by_rule,
            "sessions_override_reason": plan.sessions_override_reason,
        },
        channel=channel,
    )
    return plan
