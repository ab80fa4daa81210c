"""Book one new appointment in a single statement: INSERT ... SELECT ... WHERE it is free.

The checks are those of `booking.find_conflicts` for one new candidate, written as SQL so that
the probe and the write are one round trip (and, on PostgreSQL, one prepared statement):
inside the practitioner's working hours at the location, inside the location's opening hours
when it has any, no block of the practitioner or the room, and no active appointment of the
practitioner, the room or the patient. On PostgreSQL the last check is the exclusion
constraints' own, as the arbiters of ON CONFLICT DO NOTHING; on SQLite (no such constraints,
and writers serialized) it is a NOT EXISTS. A refusal writes nothing and raises nothing: a
failed statement would roll back, and a rollback makes psycopg drop every prepared statement
of the connection. When nothing is inserted the caller asks `find_conflicts` why, which keeps
one source of conflict reasons."""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Field
from django.utils import timezone

from mesocare.clinics.models import OpeningHours, WorkingHours
from mesocare.lib.db.prepared import statement_cursor
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.models import Appointment, Block
from mesocare.scheduling.services.booking import day_times

_FIELDS: list[Field[Any, Any]] = [f for f in Appointment._meta.concrete_fields if not f.primary_key]


def _local_hours(appointment: Appointment) -> tuple[int, dt.time, dt.time] | None:
    """Weekday and local start/end times, as `booking.find_conflicts` compares them with the
    hours; None when the appointment runs past the local midnight."""
    tz = appointment.location.tz
    start = appointment.start.astimezone(tz)
    times = day_times(start, appointment.end.astimezone(tz))
    return None if times is None else (start.weekday(), *times)


@cache
def _statement(vendor: str) -> str:
    db = connections[DEFAULT_DB_ALIAS]
    quote = db.ops.quote_name
    postgres = vendor == "postgresql"

    def param(db_type: str) -> str:
        return f"%s::{db_type}" if postgres else "%s"

    columns = ", ".join(quote(str(f.column)) for f in _FIELDS)
    values = ", ".join(param(f.db_type(db) or "text") for f in _FIELDS)
    active = ", ".join(f"'{status}'" for status in ACTIVE_STATUSES)
    table = quote(Appointment._meta.db_table)
    if postgres:
        # The exclusion constraints are the arbiters: an overlap inserts nothing and raises
        # nothing, and a concurrent booking is waited for, then decided on.
        appointment_check, on_conflict = "", "\nON CONFLICT DO NOTHING"
    else:
        on_conflict = ""
        appointment_check = f"""
 AND NOT EXISTS (SELECT 1 FROM {table} a
  WHERE a.organization_id = c.org AND a.status IN ({active}) AND a.start < c.e AND a."end" > c.s
   AND (a.practitioner_id = c.prac OR a.room_id = c.room OR a.patient_id = c.pat))"""
    working = quote(WorkingHours._meta.db_table)
    opening = quote(OpeningHours._meta.db_table)
    return f"""INSERT INTO {table} ({columns})
SELECT {values}
FROM (SELECT {param("bigint")} AS org, {param("bigint")} AS loc, {param("bigint")} AS prac,
  {param("bigint")} AS room, {param("bigint")} AS pat, {param("timestamptz")} AS s,
  {param("timestamptz")} AS e, {param("int")} AS wd, {param("time")} AS ls,
  {param("time")} AS le) c
WHERE EXISTS (SELECT 1 FROM {working} w
  WHERE w.organization_id = c.org AND w.membership_id = c.prac AND w.location_id = c.loc
   AND w.weekday = c.wd AND w.opens <= c.ls AND c.le <= w.closes)
 AND (NOT EXISTS (SELECT 1 FROM {opening} o WHERE o.organization_id = c.org
   AND o.location_id = c.loc)
  OR EXISTS (SELECT 1 FROM {opening} o WHERE o.organization_id = c.org
   AND o.location_id = c.loc AND o.weekday = c.wd AND o.opens <= c.ls AND c.le <= o.closes))
 AND NOT EXISTS (SELECT 1 FROM {quote(Block._meta.db_table)} b
  WHERE b.organization_id = c.org AND b.start < c.e AND b."end" > c.s
   AND (b.practitioner_id = c.prac OR b.room_id = c.room)){appointment_check}{on_conflict}
RETURNING id"""


def insert_if_free(appointment: Appointment) -> bool:
    """Write ``appointment`` (unsaved, not part of a course move) when every check passes and
    give it its id; False when a check fails and nothing was written. Run it inside
    `booking.guarded_write()`."""
    hours = _local_hours(appointment)
    if hours is None:
        return False
    db = connections[DEFAULT_DB_ALIAS]  # the proxy `connection` costs a lookup per attribute
    postgres = db.vendor == "postgresql"
    appointment.created_at = appointment.updated_at = timezone.now()
    weekday, local_start, local_end = hours
    check = [
        appointment.organization_id,
        appointment.location_id,
        appointment.practitioner_id,
        appointment.room_id,
        appointment.patient_id,
        appointment.start,
        appointment.end,
        weekday,
        local_start,
        local_end,
    ]
    if postgres:  # psycopg adapts these Python values; the statement casts each one
        params = [getattr(appointment, f.attname) for f in _FIELDS] + check
    else:
        params = [f.get_db_prep_save(getattr(appointment, f.attname), db) for f in _FIELDS]
        ops = db.ops
        params += check[:5] + [
            ops.adapt_datetimefield_value(appointment.start),
            ops.adapt_datetimefield_value(appointment.end),
            weekday,
            ops.adapt_timefield_value(local_start),
            ops.adapt_timefield_value(local_end),
        ]
    with statement_cursor(db) as cursor:
        cursor.execute(_statement(db.vendor), params)
        row = cursor.fetchone()
    if row is None:
        return False
    appointment.pk = row[0]
    appointment._state.adding = False
    appointment._state.db = db.alias
    return True
