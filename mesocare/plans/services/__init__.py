"""Treatment plans: propose a course from a protocol version and a baseline, review it against
new assessments, and move it through proposed → active → completed | stopped."""

from __future__ import annotations

from mesocare.plans.services.creation import create_plan, get_plan, list_plans, plan_queryset
from mesocare.plans.services.review import PlanReview, review_plan, sessions_done_default
from mesocare.plans.services.states import TRANSITIONS, change_status

__all__ = [
    "TRANSITIONS",
    "PlanReview",
    "change_status",
    "create_plan",
    "get_plan",
    "list_plans",
    "plan_queryset",
    "review_plan",
    "sessions_done_default",
]
