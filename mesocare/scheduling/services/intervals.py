"""A plan's interval rules between consecutive sessions of its course, as booking and moving
check them: whole days, or at least N calendar months counted from the earlier session's date
(31 January + 1 month = 28/29 February), with the same calendar arithmetic as the plan's target
dates and the safety rule (``mesocare.core.scheduling.GapRule``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mesocare.clinics.models import Location
from mesocare.core.scheduling import GapRule
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.choices import ConflictReason
from mesocare.scheduling.services.booking import Conflicts


def gap_rule(plan: TreatmentPlan) -> GapRule:
    """The plan's interval rules; a calendar-month minimum counts from each previous session."""
    return GapRule(
        plan.interval_min_days,
        plan.interval_target_days,
        plan.interval_max_days,
        plan.interval_min_months,
    )


def describe_minimum(plan: TreatmentPlan) -> str:
    """The minimum interval as the clinic says it: "1 month", "7 days"."""
    days = ngettext("%d day", "%d days", plan.interval_min_days) % plan.interval_min_days
    months = plan.interval_min_months
    if not months:
        return days
    in_months = ngettext("%d month", "%d months", months) % months
    # The shortest month has 28 days: a day minimum up to that adds nothing to the months.
    if plan.interval_min_days <= 28 * months:
        return in_months
    return _("%(months)s and %(days)s") % {"months": in_months, "days": days}


def gap_conflicts(
    plan: TreatmentPlan,
    placed: dict[int, tuple[dt.datetime, Location]],
    changed: Iterable[int],
    conflicts: Conflicts,
) -> None:
    """Calendar-day gaps (local dates) between consecutive sessions that break the plan's
    interval rules (a calendar-month minimum counts from the earlier session's date),
    reported on the later session of each pair that ``changed`` touches, with the dates the
    later session may take."""
    changed = set(changed)
    rule = gap_rule(plan)
    for index in sorted(placed):
        following = index + 1
        if following not in placed or not ({index, following} & changed):
            continue
        a_start, a_location = placed[index]
        b_start, b_location = placed[following]
        a_day = a_start.astimezone(a_location.tz).date()
        gap = (b_start.astimezone(b_location.tz).date() - a_day).days
        allowed = rule.after(a_day)
        if allowed.minimum <= gap <= allowed.maximum:
            continue
        earliest, latest = rule.earliest(a_day), rule.latest(a_day)
        conflicts.add(
            following if following in changed else index,
            ConflictReason.GAP,
            gap_days=gap,
            earliest=earliest.isoformat(),
            latest=latest.isoformat(),
            message=_(
                "Session %(later)d must be at least %(minimum)s and at most %(maximum)s after "
                "session %(earlier)d: between %(earliest)s and %(latest)s (it is %(gap)s after)."
            )
            % {
                "later": following,
                "earlier": index,
                "minimum": describe_minimum(plan),
                "maximum": ngettext("%d day", "%d days", allowed.maximum) % allowed.maximum,
                "earliest": earliest.isoformat(),
                "latest": latest.isoformat(),
                "gap": ngettext("%d day", "%d days", gap) % gap,
            },
        )
