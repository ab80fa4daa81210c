"""CarePlan: a treatment course; its activities are the course's Appointments, and sessions
not booked yet appear with their target window."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q

from mesocare.clinics.permissions import Perm
from mesocare.fhir.registry import (
    Child,
    MappingContext,
    ResourceType,
    SearchParam,
    Source,
    register,
)
from mesocare.fhir.resources.common import (
    compact,
    day,
    latest_of,
    latest_related,
    practitioner_ref,
    ref,
    when,
)
from mesocare.fhir.search import date_filter, token_filter
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.models import Appointment

# mesocare status → http://hl7.org/fhir/R4/valueset-request-status.html
STATUS = {
    "proposed": "draft",
    "active": "active",
    "review_needed": "on-hold",
    "completed": "completed",
    "stopped": "revoked",
}
STATUS_FILTER: dict[str, Q] = {}
for _ours, _fhir in STATUS.items():
    STATUS_FILTER[_fhir] = STATUS_FILTER.get(_fhir, Q(pk__in=[])) | Q(status=_ours)


COLUMNS = (
    "protocol__name",
    "status",
    "sessions_planned",
    "interval_target_days",
    "interval_min_days",
    "interval_max_days",
    "patient_id",
    "start_on",
    "completed_on",
    "created_at",
    "created_by_id",
    "baseline_assessment_id",
)
APPOINTMENTS = Child(
    "appointments", Appointment, "plan_id", ("pk", "course_index", "status"), ("start", "id")
)
PLANNED_SESSIONS = Child(
    "planned_sessions", PlannedSession, "plan_id", ("index", "earliest", "latest"), ("index",)
)


def build(plan: Any, ctx: MappingContext) -> dict[str, Any]:
    """``plan``: a row of COLUMNS with its APPOINTMENTS and PLANNED_SESSIONS (see
    `mesocare.fhir.registry`)."""
    appointments = plan.appointments
    booked = {a.course_index for a in appointments if a.status in ACTIVE_STATUSES}
    activities: list[dict[str, Any]] = [
        {"reference": ref("Appointment", a.pk)} for a in appointments
    ]
    for planned in plan.planned_sessions:
        if planned.index in booked:
            continue
        detail: dict[str, Any] = {
            "kind": "Appointment",
            "status": "not-started",
            "description": f"Session {planned.index} of {plan.sessions_planned}",
        }
        period = compact({"start": day(planned.earliest), "end": day(planned.latest)})
        if period:
            detail["scheduledPeriod"] = period
        activities.append({"detail": detail})
    title = plan.protocol__name
    return compact(
        {
            "status": STATUS[plan.status],
            "intent": "plan",
            "title": title,
            "description": (
                f"{plan.sessions_planned} sessions, every {plan.interval_target_days} days "
                f"({plan.interval_min_days}–{plan.interval_max_days})"
            ),
            "subject": ref("Patient", plan.patient_id),
            "period": compact({"start": day(plan.start_on), "end": day(plan.completed_on)}),
            "created": when(plan.created_at),
            "author": practitioner_ref(ctx, plan.created_by_id),
            "supportingInfo": [ref("Observation", f"assessment-{plan.baseline_assessment_id}")]
            if plan.baseline_assessment_id
            else [],
            "activity": activities,
        }
    )


CARE_PLAN = register(
    ResourceType(
        name="CarePlan",
        perm=Perm.CLINICAL_VIEW,
        sources=(
            Source(
                TreatmentPlan,
                build,
                last_updated="fhir_updated",
                annotations={
                    "fhir_updated": latest_of(
                        "created_at",
                        "status_changed_at",
                        "reviewed_at",
                        latest_related(Appointment.objects.all(), "plan", "updated_at"),
                    )
                },
                select=("protocol",),
                prefetch=(
                    Prefetch("appointments", queryset=Appointment.objects.order_by("start", "id")),
                    Prefetch("planned_sessions", queryset=PlannedSession.objects.order_by("index")),
                ),
                columns=COLUMNS,
                children=(APPOINTMENTS, PLANNED_SESSIONS),
                filters={
                    "status": token_filter(STATUS_FILTER),
                    "date": date_filter("start_on", date_only=True),
                },
            ),
        ),
        params=(
            SearchParam("status", "token", " | ".join(dict.fromkeys(STATUS.values()))),
            SearchParam("date", "date", "When the course starts."),
        ),
    )
)
