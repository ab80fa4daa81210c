"""Reading charting's treatment sessions by plan, when charting is installed."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import Case, F, IntegerField, Q, When


def session_model() -> Any:
    try:
        return apps.get_model("charting", "TreatmentSession")
    except LookupError:
        return None


def side_effect_model() -> Any:
    try:
        return apps.get_model("charting", "SideEffect")
    except LookupError:
        return None


def _has(model: Any, name: str) -> bool:
    try:
        model._meta.get_field(name)
    except FieldDoesNotExist:
        return False
    return True


def signed_sessions_of_plans(org_id: int, plan_ids: Iterable[int]) -> Any:
    """Signed sessions of these plans, annotated with `plan_ref` and `course_index`, or None."""
    model = session_model()
    if model is None:
        return None
    ids = list(plan_ids)
    via_appointment = _has(model, "appointment")
    match = Q(planned_session__plan_id__in=ids)
    if via_appointment:
        match |= Q(appointment__plan_id__in=ids)
    plan_ref: Any = F("planned_session__plan_id")
    index: Any = F("planned_session__index")
    if via_appointment:
        plan_ref = Case(
            When(appointment__plan_id__isnull=False, then=F("appointment__plan_id")),
            default=F("planned_session__plan_id"),
            output_field=IntegerField(),
        )
        index = Case(
            When(appointment__course_index__isnull=False, then=F("appointment__course_index")),
            default=F("planned_session__index"),
            output_field=IntegerField(),
        )
    return (
        model.objects.for_org(org_id)
        .filter(match, signed_at__isnull=False)
        .annotate(plan_ref=plan_ref, course_index=index)
    )
