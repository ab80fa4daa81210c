"""Availability and exact, optimal placement of treatment courses (pure: no Django, no I/O)."""

from .availability import free_slots
from .calendars import Interval, PractitionerCalendar, RoomCalendar, Slot, WeeklyHours
from .course import (
    CourseRequest,
    CourseResult,
    Infeasibility,
    PlacedSession,
    Proposal,
    Relaxation,
    place_course,
)
from .intervals import GapBounds, GapRule

__all__ = [
    "CourseRequest",
    "CourseResult",
    "Infeasibility",
    "GapBounds",
    "GapRule",
    "Interval",
    "PlacedSession",
    "PractitionerCalendar",
    "Proposal",
    "Relaxation",
    "RoomCalendar",
    "Slot",
    "WeeklyHours",
    "free_slots",
    "place_course",
]
