"""Charting's signed treatment sessions, read by plan for the outcome reports."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Case, F, IntegerField, Q, When

from mesocare.charting.models import TreatmentSession


def signed_sessions_of_plans(org_id: int, plan_ids: Iterable[int]) -> Any:
    """Signed sessions of these plans, annotated with `plan_ref` and `course_index` (a session
    belongs to its appointment's plan, or else to its planned session's)."""
    ids = list(plan_ids)
    return (
        TreatmentSession.objects.for_org(org_id)
        .filter(
            Q(planned_session__plan_id__in=ids) | Q(appointment__plan_id__in=ids),
            signed_at__isnull=False,
        )
        .annotate(
            plan_ref=Case(
                When(appointment__plan_id__isnull=False, then=F("appointment__plan_id")),
                default=F("planned_session__plan_id"),
                output_field=IntegerField(),
            ),
            course_index=Case(
                When(appointment__course_index__isnull=False, then=F("appointment__course_index")),
                default=F("planned_session__index"),
                output_field=IntegerField(),
            ),
        )
    )
