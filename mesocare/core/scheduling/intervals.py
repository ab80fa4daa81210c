"""The gap between two consecutive sessions of a course: whole days, or at least N calendar
months ("at least one month" on a label is a calendar month: 31 January -> 28/29 February,
1 March -> 1 April, so it is 28 to 31 days depending on the previous session's date).

Everything that places or checks a course (the placement search, the booking and move checks,
the plan's target dates and the safety rule) uses the same calendar arithmetic,
``mesocare.core.safety.facts.add_months``, so they can never disagree on a date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from mesocare.core.safety.facts import add_months


@dataclass(frozen=True)
class GapBounds:
    """Gaps in calendar days allowed after one session: ``minimum <= target <= maximum``."""

    minimum: int
    target: int
    maximum: int


@dataclass(frozen=True)
class GapRule:
    minimum_days: int
    target_days: int
    maximum_days: int
    minimum_months: int | None = None

    def after(self, previous: date) -> GapBounds:
        """The gaps allowed after a session on ``previous``. A calendar-month minimum raises
        the minimum, and with it the target and maximum when they are shorter, exactly as the
        plan's target dates are raised (the planning engine's windows)."""
        minimum = self.minimum_days
        if self.minimum_months:
            minimum = max(minimum, (add_months(previous, self.minimum_months) - previous).days)
        return GapBounds(minimum, max(self.target_days, minimum), max(self.maximum_days, minimum))

    def earliest(self, previous: date) -> date:
        return previous + timedelta(days=self.after(previous).minimum)

    def latest(self, previous: date) -> date:
        return previous + timedelta(days=self.after(previous).maximum)
