"""CarePlan: a treatment course; its activities are the course's Appointments, and sessions
not booked yet appear with their target window."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q

from mesocare.catalog.models import Protocol
from mesocare.clinics.permissions import Perm
from mesocare.fhir import sqljson as q
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


def sql_joins(ctx: MappingContext) -> str:
    """What `sql` reads besides the course (`mesocare.fhir.sqllines`): its appointments (and
    their latest change) and the planned sessions not booked yet, each aggregated once per
    course."""
    plan = f'"{TreatmentPlan._meta.db_table}"'
    appointments = Appointment._meta.db_table
    planned = PlannedSession._meta.db_table
    active = ", ".join(q.sql_text(str(status)) for status in ACTIVE_STATUSES)
    period = q.when(
        "p.earliest IS NOT NULL OR p.latest IS NOT NULL",
        q.obj({"start": q.day("p.earliest"), "end": q.day("p.latest")}),
    )
    detail = q.obj(
        {
            "kind": q.const("Appointment"),
            "status": q.const("not-started"),
            "description": q.Json(
                q.string("'Session ' || p.index || ' of ' || pl.sessions_planned")
            ),
            "scheduledPeriod": period,
        }
    )
    reference = f"'{{\"reference\":' || {q.ref('Appointment', 'a.id')} || '}}'"
    return (
        f"LEFT JOIN (SELECT a.plan_id, string_agg({reference}, ',' ORDER BY a.start, a.id) "
        f"AS activities, max(a.updated_at) AS updated "
        f'FROM "{appointments}" a WHERE a.plan_id IN (SELECT pk FROM fhir_rows) '
        f"GROUP BY a.plan_id) appointments ON appointments.plan_id = {plan}.id "
        f"""LEFT JOIN (SELECT p.plan_id, string_agg('{{"detail":' || {detail} || '}}', ',' """
        f'ORDER BY p.index) AS activities FROM "{planned}" p '
        f'JOIN "{TreatmentPlan._meta.db_table}" pl ON pl.id = p.plan_id '
        f"WHERE p.plan_id IN (SELECT pk FROM fhir_rows) AND NOT EXISTS (SELECT 1 FROM "
        f'"{appointments}" b WHERE b.plan_id = p.plan_id AND b.status IN ({active}) '
        f"AND b.course_index = p.index) GROUP BY p.plan_id) planned "
        f"ON planned.plan_id = {plan}.id"
    )


def sql_updated(ctx: MappingContext) -> str:
    """The ``fhir_updated`` annotation (`latest_of`), its appointments' latest change read from
    `sql_joins`."""
    created = q.col("plans_treatmentplan", "created_at")
    others = [q.col("plans_treatmentplan", name) for name in ("status_changed_at", "reviewed_at")]
    latest = [f"COALESCE({other}, {created})" for other in (*others, "appointments.updated")]
    return f"GREATEST({created}, {', '.join(latest)})"


def sql(ctx: MappingContext) -> str:
    """`build` in PostgreSQL (see `mesocare.fhir.sqljson`); reads the joins of `sql_joins`."""

    def c(name: str) -> str:
        return q.col("plans_treatmentplan", name)

    protocol_names = dict(
        Protocol.objects.filter(
            Q(organization__isnull=True) | Q(organization_id=ctx.org_id)
        ).values_list("pk", "name")
    )
    activities = q.when(
        "appointments.activities IS NOT NULL OR planned.activities IS NOT NULL",
        "('[' || concat_ws(',', appointments.activities, planned.activities) || ']')",
    )
    description = (
        f"{c('sessions_planned')} || ' sessions, every ' || {c('interval_target_days')} "
        f"|| ' days (' || {c('interval_min_days')} || {q.sql_text('–')} || "
        f"{c('interval_max_days')} || ')'"
    )
    return q.resource(
        "CarePlan",
        c("id"),
        {
            "status": q.string(q.lookup(STATUS, c("status"))),
            "intent": q.const("plan"),
            "title": q.text(q.lookup(protocol_names, c("protocol_id"))),
            "description": q.string(description),
            "subject": q.ref("Patient", c("patient_id")),
            "period": q.when(
                f"{c('start_on')} IS NOT NULL OR {c('completed_on')} IS NOT NULL",
                q.obj({"start": q.day(c("start_on")), "end": q.day(c("completed_on"))}),
            ),
            "created": q.instant(c("created_at")),
            "author": q.practitioner(ctx.membership_by_user, c("created_by_id")),
            "supportingInfo": q.when(
                f"{c('baseline_assessment_id')} IS NOT NULL",
                q.arr(q.ref("Observation", f"'assessment-' || {c('baseline_assessment_id')}")),
            ),
            "activity": activities,
        },
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
                sql=sql,
                sql_joins=sql_joins,
                sql_updated=sql_updated,
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
