"""The dashboard's "Today's appointments" card: how many appointments today (and with the
signed-in practitioner) at every location, each location's today in its own time zone, and
the first of them.

A chain's location books a few hundred appointments a day; the card shows `CARD_ROWS`. One
query reads the rows shown (with their patient, practitioner, room and location) and counts
the day in two uncorrelated subqueries, which PostgreSQL runs once each (InitPlans) over the
(organization, start) index without joining anything: the work follows the rows shown, not
the day's bookings.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import F, Func, IntegerField, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.calendars import local_midnight

CARD_ROWS = 25


def _count(qs: QuerySet[Appointment]) -> Coalesce:
    """`SELECT COUNT(id) FROM …` of `qs` as a scalar subquery (no GROUP BY, no joins)."""
    counted = qs.order_by().annotate(n=Func(F("id"), function="COUNT")).values("n")
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


def todays_appointments(actor: Actor, now: dt.datetime | None = None) -> QuerySet[Appointment]:
    """The organization's active appointments whose start falls on today (the day of `now`,
    default the current time) at their location."""
    now = now or timezone.now()
    day = Q()
    first: dt.datetime | None = None
    last: dt.datetime | None = None
    for location in Location.objects.for_org(actor.org_id).filter(is_active=True):
        today = timezone.localdate(now, timezone=location.tz)
        start = local_midnight(today, location.tz)
        end = local_midnight(today + dt.timedelta(days=1), location.tz)
        day |= Q(location_id=location.pk, start__gte=start, start__lt=end)
        first = start if first is None else min(first, start)
        last = end if last is None else max(last, end)
    if first is None or last is None:
        return Appointment.objects.none()
    # The overall range keeps the scan on the (organization, start) index; `day` then keeps
    # each location's own day.
    return (
        Appointment.objects.for_org(actor.org_id)
        .filter(status__in=ACTIVE_STATUSES, start__gte=first, start__lt=last)
        .filter(day)
    )


def today_card(actor: Actor, now: dt.datetime | None = None) -> dict[str, Any]:
    """Today's appointments at every location, each location's "today" in its own time zone:
    how many, how many with the actor, and the first `CARD_ROWS` by start."""
    today = todays_appointments(actor, now)
    mine = today.filter(practitioner_id=actor.membership.pk)
    shown = list(
        today.annotate(day_count=_count(today), mine_count=_count(mine))
        .select_related("patient", "practitioner__user", "room", "location")
        .order_by("start", "id")[:CARD_ROWS]
    )
    first = shown[0] if shown else None
    return {
        "appointments": [(a, a.start.astimezone(a.location.tz)) for a in shown],
        "count": first.day_count if first else 0,
        "mine": first.mine_count if first else 0,
    }
