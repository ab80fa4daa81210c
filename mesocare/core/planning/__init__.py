"""Course planning: protocol rules + baseline assessment -> course plan, and course review."""

from __future__ import annotations

from .course import (
    CourseProposal,
    IntervalDays,
    PlannedSessionWindow,
    maintenance_due,
    propose_course,
)
from .review import Review, ReviewOutcome, review_course
from .rules import ANY_BAND, NO_SCALE, Assessment, CourseRules, PlanningError

__all__ = [
    "ANY_BAND",
    "Assessment",
    "CourseProposal",
    "CourseRules",
    "IntervalDays",
    "NO_SCALE",
    "PlannedSessionWindow",
    "PlanningError",
    "Review",
    "ReviewOutcome",
    "maintenance_due",
    "propose_course",
    "review_course",
]
