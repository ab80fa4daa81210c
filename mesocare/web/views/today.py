"""The dashboard's "Today's appointments" card: how many appointments today (and with the
signed-in practitioner) at every location, each location's today in its own time zone, and
the first of them.

A chain's location books a few hundred appointments a day; the card shows `CARD_ROWS`. One
statement counts the day and reads the rows shown: it picks the day's appointments over the
(organization, location, start) index, counts them, keeps the first `CARD_ROWS` by start and
only then joins their patient, practitioner and room, so the work follows the rows shown, not
the day's bookings. Its text depends only on the number of locations, so PostgreSQL keeps it
prepared (mesocare.lib.db.prepared) and the card costs neither the ORM's compiling nor the
server's planning of a six-table join on each visit of the landing page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.utils import timezone

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.lib.db.prepared import statement_cursor
from mesocare.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus
from mesocare.scheduling.services.calendars import local_midnight

CARD_ROWS = 25


@dataclass(frozen=True)
class TodayRow:
    pk: int
    location_id: int
    location_name: str
    status: str
    patient_name: str
    practitioner_name: str
    room_name: str

    @property
    def status_label(self) -> str:
        return str(AppointmentStatus(self.status).label)


def _statement(locations: int) -> str:
    windows = ", ".join(["(%s, %s, %s)"] * locations)
    statuses = ", ".join(["%s"] * len(ACTIVE_STATUSES))
    return f"""
        WITH windows (location_id, day_start, day_end) AS (VALUES {windows}),
        day AS (
            SELECT a.id, a.start, a.location_id, a.status, a.patient_id, a.practitioner_id,
                   a.room_id
            FROM "scheduling_appointment" a
            JOIN windows w ON a.location_id = w.location_id
                AND a.start >= w.day_start AND a.start < w.day_end
            WHERE a.organization_id = %s AND a.status IN ({statuses})
        ),
        shown AS (SELECT * FROM day ORDER BY start, id LIMIT {CARD_ROWS})
        SELECT (SELECT COUNT(*) FROM day), (SELECT COUNT(*) FROM day WHERE practitioner_id = %s),
               s.id, s.start, s.location_id, s.status, p.given_name, p.family_name,
               u.full_name, r.name
        FROM shown s
        JOIN "patients_patient" p ON p.id = s.patient_id
        JOIN "clinics_membership" m ON m.id = s.practitioner_id
        JOIN "accounts_user" u ON u.id = m.user_id
        JOIN "clinics_room" r ON r.id = s.room_id
        ORDER BY s.start, s.id
    """  # noqa: S608 - placeholders and a constant; every value is a parameter


def _aware(value: dt.datetime) -> dt.datetime:
    """A stored start as an aware datetime: SQLite's driver returns the UTC time naive, which
    `astimezone` would otherwise read as the server machine's local time."""
    return value if timezone.is_aware(value) else timezone.make_aware(value, dt.UTC)


def today_card(actor: Actor, now: dt.datetime | None = None) -> dict[str, Any]:
    """Today's appointments at every location, each location's "today" in its own time zone:
    how many, how many with the actor, and the first `CARD_ROWS` by start."""
    now = now or timezone.now()
    locations = {
        location.pk: location
        for location in Location.objects.for_org(actor.org_id).filter(is_active=True)
    }
    if not locations:
        return {"appointments": [], "count": 0, "mine": 0}
    adapt = connection.ops.adapt_datetimefield_value
    params: list[Any] = []
    for location in locations.values():
        today = timezone.localdate(now, timezone=location.tz)
        start = local_midnight(today, location.tz)
        end = local_midnight(today + dt.timedelta(days=1), location.tz)
        params += [location.pk, adapt(start), adapt(end)]
    params += [actor.org_id, *ACTIVE_STATUSES, actor.membership.pk]
    with statement_cursor(connection) as cursor:
        cursor.execute(_statement(len(locations)), params)
        rows = cursor.fetchall()
    appointments = []
    for _count, _mine, pk, start, location_id, status, given, family, practitioner, room in rows:
        location = locations[location_id]
        row = TodayRow(
            pk, location_id, location.name, status, f"{given} {family}", practitioner, room
        )
        appointments.append((row, _aware(start).astimezone(location.tz)))
    count, mine = (rows[0][0], rows[0][1]) if rows else (0, 0)
    return {"appointments": appointments, "count": count, "mine": mine}
