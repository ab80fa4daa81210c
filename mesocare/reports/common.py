"""What every business report shares: the filters (period, location, practitioner), their
validation, the organization's locations with their zones, and the UTC window that surely
holds every local day of the period."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.utils.translation import gettext as _

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership
from mesocare.clinics.permissions import Perm
from mesocare.core.business import local_day
from mesocare.errors import Invalid

MAX_DAYS = 366
# Every zone is within 14 hours of UTC: a day on each side holds every local day.
_MARGIN = dt.timedelta(days=1)


@dataclass(frozen=True)
class Filters:
    date_from: dt.date
    date_to: dt.date
    location_id: int | None = None
    practitioner_id: int | None = None

    def window(self) -> tuple[dt.datetime, dt.datetime]:
        """A UTC window that holds every local day of the period, whatever the zone."""
        start = dt.datetime.combine(self.date_from, dt.time(0), tzinfo=dt.UTC) - _MARGIN
        end = dt.datetime.combine(self.date_to, dt.time(0), tzinfo=dt.UTC) + 2 * _MARGIN
        return start, end

    def holds(self, moment: dt.datetime, tz: ZoneInfo) -> bool:
        """Whether ``moment`` falls on a local day of the period."""
        return self.date_from <= local_day(moment, tz) <= self.date_to

    def as_query(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "date_from": self.date_from.isoformat(),
            "date_to": self.date_to.isoformat(),
        }
        if self.location_id:
            out["location"] = self.location_id
        if self.practitioner_id:
            out["practitioner"] = self.practitioner_id
        return out


def check(actor: Actor, filters: Filters, perm: Perm = Perm.BILLING_VIEW) -> dict[int, Location]:
    """Refuse a bad period or a location or practitioner of another organization; return the
    organization's locations (only the chosen one when a location is chosen) by id."""
    actor.require(perm)
    if filters.date_to < filters.date_from:
        raise Invalid.field("date_to", _("The end comes before the start."))
    if (filters.date_to - filters.date_from).days >= MAX_DAYS:
        raise Invalid.field("date_to", _("Choose at most one year."))
    locations = {loc.pk: loc for loc in Location.objects.for_org(actor.org_id).order_by("name")}
    if filters.location_id is not None:
        if filters.location_id not in locations:
            raise Invalid.field("location", _("Choose one of your locations."))
        locations = {filters.location_id: locations[filters.location_id]}
    if (
        filters.practitioner_id is not None
        and not Membership.objects.for_org(actor.org_id).filter(pk=filters.practitioner_id).exists()
    ):
        raise Invalid.field("practitioner", _("Choose one of your practitioners."))
    return locations


def person(full_name: str | None, email: str | None) -> str:
    return full_name or email or "—"
