"""A plan's progress: scale totals and measurements over the course, sessions and GAIS."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Q
from django.utils import timezone

from mesocare.assessments.models import Assessment
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.outcomes.models import Measurement
from mesocare.outcomes.sessions import signed_sessions_of_plans
from mesocare.plans.models import TreatmentPlan

MEASUREMENT_LOOKBACK = dt.timedelta(days=30)


def plan_progress(actor: Actor, plan_id: Any, *, channel: str = "api") -> dict[str, Any]:
    actor.require(Perm.CLINICAL_VIEW)
    plan = get_for_org(
        TreatmentPlan,
        actor.org_id,
        plan_id,
        queryset=TreatmentPlan.objects.select_related("protocol", "patient"),
    )
    assessments = list(
        Assessment.objects.for_org(actor.org_id)
        .filter(Q(plan=plan) | Q(pk=plan.baseline_assessment_id))
        .select_related("assessed_by")
        .order_by("assessed_at", "id")
    )
    scales: dict[str, list[dict[str, Any]]] = defaultdict(list)
    gais = []
    for a in assessments:
        point = {
            "assessment_id": a.pk,
            "at": a.assessed_at,
            "total": a.total,
            "band": a.band,
            "session_index": a.session_index,
            "baseline": a.pk == plan.baseline_assessment_id,
        }
        if a.scale_id == "gais":
            gais.append({**point, "by": a.assessed_by.email, "rating": a.total})
        else:
            scales[a.scale_id].append(point)
    start = plan.start_on or timezone.localtime(plan.created_at).date()
    if assessments:
        start = min(start, timezone.localtime(assessments[0].assessed_at).date())
    end = plan.completed_on or timezone.localdate()
    sessions_qs = signed_sessions_of_plans(actor.org_id, [plan.pk])
    sessions = []
    session_ids: list[int] = []
    for s in sessions_qs.order_by("signed_at"):
        session_ids.append(s.pk)
        sessions.append(
            {
                "session_id": s.pk,
                "index": s.course_index,
                "signed_at": s.signed_at,
                "response_check": s.course_index == plan.response_check_session,
            }
        )
    measurements = (
        Measurement.objects.for_org(actor.org_id)
        .filter(patient=plan.patient)
        .filter(
            Q(session_id__in=session_ids)
            | Q(measured_on__gte=start - MEASUREMENT_LOOKBACK, measured_on__lte=end)
        )
        .order_by("measured_on", "id")
    )
    series: dict[str, dict[str, Any]] = {}
    for m in measurements:
        entry = series.setdefault(
            m.series_key,
            {
                "key": m.series_key,
                "kind": m.kind,
                "landmark": m.landmark,
                "distance_cm": m.distance_cm,
                "unit": m.unit,
                "points": [],
            },
        )
        entry["points"].append({"measured_on": m.measured_on, "value": m.value})
    for entry in series.values():
        first, last = entry["points"][0]["value"], entry["points"][-1]["value"]
        entry["change"] = last - first
    record(
        actor,
        AuditAction.READ,
        plan,
        patient_id=plan.patient_id,
        summary=f"progress of plan {plan.pk}",
        channel=channel,
    )
    return {
        "plan_id": plan.pk,
        "patient_id": plan.patient_id,
        "protocol": plan.protocol.name,
        "status": plan.status,
        "scale": plan.protocol.scale,
        "sessions_planned": plan.sessions_planned,
        "response_check_session": plan.response_check_session,
        "scales": [{"scale_id": k, "points": v} for k, v in scales.items()],
        "measurements": list(series.values()),
        "sessions": sessions,
        "gais": gais,
    }
