"""Outcome report per protocol, and the clinic's business figures.

Definitions (also on the report page):
- a plan *started* in the period when its start date (`start_on`, else creation date) falls in
  it and it is not merely proposed;
- *baseline* = the plan's baseline assessment; *final* = the plan's latest later assessment on
  the same scale; change = final − baseline (negative = better on severity scales);
- 95 % CI of the mean change: mean ± t(0.975, n−1)·sd/√n (`mesocare.core.stats`);
- *responder* at the protocol's response-check session: baseline − score at that session ≥ the
  protocol's `responder_min_improvement` (1 point when unset);
- *median sessions*: signed treatment sessions per finished (completed or stopped) plan;
- side-effect rates: events per 100 signed sessions of the plans, by kind and grade.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from mesocare.assessments.models import Assessment
from mesocare.charting.models import SideEffect, TreatmentSession
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.core.scales import get_scale
from mesocare.core.stats import mean_ci, median
from mesocare.outcomes.sessions import signed_sessions_of_plans
from mesocare.plans.choices import PlanStatus
from mesocare.plans.models import TreatmentPlan
from mesocare.reports.common import MAX_DAYS, Filters
from mesocare.reports.lapsed import lapsed_rows
from mesocare.reports.utilisation import usage_of


@dataclass
class ProtocolOutcome:
    protocol_id: int
    protocol: str
    scale: str
    started: int = 0
    active: int = 0
    completed: int = 0
    stopped: int = 0
    with_change: int = 0
    mean_baseline: float | None = None
    mean_final: float | None = None
    mean_change: float | None = None
    change_ci_low: float | None = None
    change_ci_high: float | None = None
    response_check_session: int | None = None
    responders: int = 0
    response_evaluable: int = 0
    responder_rate: float | None = None
    median_sessions: float | None = None
    sessions: int = 0
    side_effects: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _higher_is_worse(scale_id: str) -> bool:
    try:
        return bool(get_scale(scale_id).higher_is_worse)
    except Exception:  # noqa: BLE001 — unknown scale ids are reported, not judged
        return True


def _plans(
    org_id: int, protocol_id: int | None, date_from: dt.date | None, date_to: dt.date | None
) -> list[TreatmentPlan]:
    qs = (
        TreatmentPlan.objects.for_org(org_id)
        .exclude(status=PlanStatus.PROPOSED)
        .select_related("protocol", "baseline_assessment")
    )
    if protocol_id is not None:
        qs = qs.filter(protocol_id=protocol_id)
    plans = []
    for plan in qs:
        start = plan.start_on or timezone.localtime(plan.created_at).date()
        if (date_from and start < date_from) or (date_to and start > date_to):
            continue
        plans.append(plan)
    return plans


def outcomes_report(
    actor: Actor,
    *,
    protocol_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[ProtocolOutcome]:
    actor.require(Perm.CLINICAL_VIEW)
    plans = _plans(actor.org_id, protocol_id, date_from, date_to)
    plan_ids = [p.pk for p in plans]
    by_plan: dict[int, list[Assessment]] = defaultdict(list)
    for a in Assessment.objects.for_org(actor.org_id).filter(plan_id__in=plan_ids):
        by_plan[a.plan_id].append(a)  # type: ignore[index]
    sessions = signed_sessions_of_plans(actor.org_id, plan_ids)
    sessions_per_plan: Counter[int] = Counter()
    session_plan: dict[int, int] = {}
    for sid, plan_ref in sessions.values_list("pk", "plan_ref"):
        sessions_per_plan[plan_ref] += 1
        session_plan[sid] = plan_ref
    effects: dict[int, Counter[tuple[str, int]]] = defaultdict(Counter)
    if session_plan:
        rows = (
            SideEffect.objects.for_org(actor.org_id)
            .filter(session_id__in=list(session_plan))
            .values("session_id", "kind", "grade")
            .annotate(n=Count("id"))
        )
        for row in rows:
            effects[session_plan[row["session_id"]]][(row["kind"], row["grade"])] += row["n"]

    groups: dict[int, list[TreatmentPlan]] = defaultdict(list)
    for plan in plans:
        groups[plan.protocol_id].append(plan)
    out = []
    for pid, group in sorted(groups.items(), key=lambda kv: kv[1][0].protocol.name):
        out.append(_protocol_outcome(pid, group, by_plan, sessions_per_plan, effects))
    return out


def _protocol_outcome(
    protocol_id: int,
    plans: list[TreatmentPlan],
    by_plan: dict[int, list[Assessment]],
    sessions_per_plan: Counter[int],
    effects: dict[int, Counter[tuple[str, int]]],
) -> ProtocolOutcome:
    protocol = plans[0].protocol
    scale_id = next((p.baseline_assessment.scale_id for p in plans if p.baseline_assessment), "")
    result = ProtocolOutcome(protocol_id, protocol.name, scale_id or protocol.scale)
    result.started = len(plans)
    result.completed = sum(p.status == PlanStatus.COMPLETED for p in plans)
    result.stopped = sum(p.status == PlanStatus.STOPPED for p in plans)
    result.active = result.started - result.completed - result.stopped
    result.response_check_session = plans[0].response_check_session
    threshold = protocol.responder_min_improvement or Decimal(1)
    baselines: list[Decimal] = []
    finals: list[Decimal] = []
    changes: list[Decimal] = []
    for plan in plans:
        base = plan.baseline_assessment
        if base is None:
            continue
        baselines.append(base.total)
        later = sorted(
            (
                a
                for a in by_plan.get(plan.pk, [])
                if a.pk != base.pk
                and a.scale_id == base.scale_id
                and a.assessed_at > base.assessed_at
            ),
            key=lambda a: (a.assessed_at, a.pk),
        )
        if later:
            finals.append(later[-1].total)
            changes.append(later[-1].total - base.total)
        check = [a for a in later if a.session_index == plan.response_check_session]
        if check:
            improvement = base.total - check[-1].total
            if not _higher_is_worse(base.scale_id):
                improvement = -improvement
            result.response_evaluable += 1
            result.responders += improvement >= threshold
    ci = mean_ci(changes)
    result.with_change = len(changes)
    result.mean_baseline = mean_ci(baselines).mean if baselines else None  # type: ignore[union-attr]
    result.mean_final = mean_ci(finals).mean if finals else None  # type: ignore[union-attr]
    if ci is not None:
        result.mean_change, result.change_ci_low, result.change_ci_high = ci.mean, ci.low, ci.high
    if result.response_evaluable:
        result.responder_rate = result.responders / result.response_evaluable
    finished = [p for p in plans if p.status in (PlanStatus.COMPLETED, PlanStatus.STOPPED)]
    result.median_sessions = median([sessions_per_plan[p.pk] for p in finished])
    result.sessions = sum(sessions_per_plan[p.pk] for p in plans)
    total: Counter[tuple[str, int]] = Counter()
    for plan in plans:
        total.update(effects.get(plan.pk, Counter()))
    result.side_effects = [
        {
            "kind": kind,
            "grade": grade,
            "events": n,
            "per_100_sessions": round(100 * n / result.sessions, 1) if result.sessions else None,
        }
        for (kind, grade), n in sorted(total.items())
    ]
    return result


CSV_COLUMNS = [
    "protocol_id", "protocol", "scale", "started", "active", "completed", "stopped",
    "with_change", "mean_baseline", "mean_final", "mean_change", "change_ci_low",
    "change_ci_high", "response_check_session", "responders", "response_evaluable",
    "responder_rate", "median_sessions", "sessions", "side_effects",
]  # fmt: skip


def csv_rows(rows: list[ProtocolOutcome]) -> list[list[Any]]:
    out = []
    for row in rows:
        d = row.as_dict()
        d["side_effects"] = "; ".join(
            f"{e['kind']} g{e['grade']}: {e['events']}" for e in row.side_effects
        )
        out.append(["" if d[c] is None else d[c] for c in CSV_COLUMNS])
    return out


# --- business ------------------------------------------------------------------------------


def business_report(
    actor: Actor, *, date_from: dt.date, date_to: dt.date, today: dt.date | None = None
) -> dict[str, Any]:
    """Sessions per practitioner, room utilisation, lapsed maintenance and course completion.
    Rooms and lapsed patients are computed by `mesocare.reports` (Reports → Utilisation and
    Lapsed patients show them in detail)."""
    actor.require(Perm.ORG_VIEW)
    today = today or timezone.localdate()
    org_id = actor.org_id
    report: dict[str, Any] = {"from": date_from, "to": date_to}
    rows = (
        TreatmentSession.objects.for_org(org_id)
        .filter(signed_at__date__gte=date_from, signed_at__date__lte=date_to)
        .values("practitioner_id", "practitioner__user__email", "practitioner__user__full_name")
        .annotate(n=Count("id"))
        .order_by("-n")
    )
    report["sessions_per_practitioner"] = [
        {
            "practitioner_id": r["practitioner_id"],
            "name": r["practitioner__user__full_name"] or r["practitioner__user__email"],
            "sessions": r["n"],
        }
        for r in rows
    ]
    report["rooms"] = _room_utilisation(org_id, date_from, date_to)
    report["lapsed"] = [
        {
            "plan_id": r.plan_id,
            "patient_id": r.patient_id,
            "patient": r.patient,
            "protocol": r.protocol,
            "maintenance_due_on": r.due_on,
            "days_overdue": r.days_overdue,
        }
        for r in lapsed_rows(org_id, dt.date(1900, 1, 1), today, today=today)[:200]
    ]
    finished = TreatmentPlan.objects.for_org(org_id).aggregate(
        completed=Count("id", filter=Q(status=PlanStatus.COMPLETED)),
        stopped=Count("id", filter=Q(status=PlanStatus.STOPPED)),
    )
    done = finished["completed"] + finished["stopped"]
    report["completion"] = {
        **finished,
        "rate": finished["completed"] / done if done else None,
    }
    return report


def _room_utilisation(org_id: int, date_from: dt.date, date_to: dt.date) -> list[dict[str, Any]]:
    """The rooms' part of Reports → Utilisation (opening hours less time off; one figure for
    the whole period, at most a year)."""
    locations = {loc.pk: loc for loc in Location.objects.for_org(org_id)}
    date_from = max(date_from, date_to - dt.timedelta(days=MAX_DAYS - 1))
    usage = usage_of(org_id, locations, Filters(date_from, date_to), rooms_only=True)
    return [
        {
            "room": f"{u.name} ({u.location})",
            "booked_minutes": u.booked_minutes,
            "open_minutes": u.available_minutes,
            "utilisation": u.rate,
        }
        for u in usage["rooms"]
    ]
