"""The dashboard's "Today's appointments" card counts every active appointment of the day at
each location (its own time zone's day) and how many are with the signed-in practitioner,
and lists the first of them by start; it reads only the rows it shows, in a query count that
does not grow with the day's bookings."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from mesocare.clinics.models import Location, Room
from mesocare.scheduling.choices import ACTIVE_STATUSES, AppointmentStatus
from mesocare.scheduling.models import Appointment
from mesocare.web.views.today import CARD_ROWS, today_card

pytestmark = pytest.mark.django_db
UTC = dt.UTC
# Rome is at 14:00 of 15 June (UTC+2), New York at 08:00 of the same day (UTC-4).
NOW = dt.datetime(2030, 6, 15, 12, 0, tzinfo=UTC)


def _booked(clinic: Any, location: Location, room: Room, start: dt.datetime, **kw: Any) -> Any:
    return Appointment.objects.create(
        organization=location.organization,
        location=location,
        practitioner=kw.pop("practitioner", clinic.members["practitioner"]),
        room=room,
        patient=clinic.patient,
        start=start,
        end=start + dt.timedelta(minutes=10),
        created_by=clinic.user("admin"),
        **kw,
    )


def _the_old_meaning(org_id: int, membership_id: int) -> tuple[list[int], int, int]:
    """Every appointment read and judged in Python: (first ids by start, count, mine)."""
    rows = []
    for a in Appointment.objects.filter(organization_id=org_id).select_related("location"):
        local_day = timezone.localdate(NOW, timezone=a.location.tz)
        if a.status in ACTIVE_STATUSES and a.start.astimezone(a.location.tz).date() == local_day:
            rows.append(a)
    rows.sort(key=lambda a: (a.start, a.pk))
    mine = sum(1 for a in rows if a.practitioner_id == membership_id)
    return [a.pk for a in rows[:CARD_ROWS]], len(rows), mine


def test_the_card_counts_each_locations_own_day_and_lists_the_first_by_start(
    clinic: Any, other_clinic: Any
) -> None:
    rome, rome_room = clinic.location, clinic.room
    york = Location.objects.create(
        organization=clinic.org, name="Uptown", timezone="America/New_York"
    )
    york_room = Room.objects.create(organization=clinic.org, location=york, name="NY 1")
    someone_else = clinic.members["admin"]
    for i in range(20):  # Rome, 08:00-12:45 local, every other one with someone else
        _booked(
            clinic,
            rome,
            rome_room,
            dt.datetime(2030, 6, 15, 6, tzinfo=UTC) + dt.timedelta(minutes=15 * i),
            **({"practitioner": someone_else} if i % 2 else {}),
        )
    for i in range(10):  # New York, 21:00-23:15 local on the 15th (already the 16th in UTC)
        _booked(
            clinic,
            york,
            york_room,
            dt.datetime(2030, 6, 16, 1, tzinfo=UTC) + dt.timedelta(minutes=15 * i),
        )
    # Inside the other location's day, outside their own: not today where they happen.
    _booked(clinic, rome, rome_room, dt.datetime(2030, 6, 15, 22, 30, tzinfo=UTC))  # 16th, 00:30
    _booked(clinic, york, york_room, dt.datetime(2030, 6, 15, 3, 30, tzinfo=UTC))  # 14th, 23:30
    _booked(clinic, rome, rome_room, dt.datetime(2030, 6, 14, 21, 50, tzinfo=UTC))  # 14th, 23:50
    _booked(
        clinic,
        rome,
        rome_room,
        dt.datetime(2030, 6, 15, 11, 5, tzinfo=UTC),
        status=AppointmentStatus.CANCELLED,
    )
    Appointment.objects.create(  # another organization's, today
        organization=other_clinic.org,
        location=other_clinic.location,
        practitioner=other_clinic.members["practitioner"],
        room=other_clinic.room,
        patient=other_clinic.patient,
        start=dt.datetime(2030, 6, 15, 9, tzinfo=UTC),
        end=dt.datetime(2030, 6, 15, 9, 30, tzinfo=UTC),
        created_by=other_clinic.user("admin"),
    )
    actor = clinic.actor("practitioner")
    first, count, mine = _the_old_meaning(clinic.org.pk, actor.membership.pk)
    assert (len(first), count, mine) == (25, 30, 20)

    card = today_card(actor, now=NOW)

    assert (card["count"], card["mine"]) == (count, mine)
    assert [a.pk for a, _ in card["appointments"]] == first
    local = [t for a, t in card["appointments"] if a.location_id == york.pk]
    assert [t.strftime("%d %H:%M") for t in local] == [
        f"15 {h}" for h in ("21:00", "21:15", "21:30", "21:45", "22:00")
    ]
    assert today_card(clinic.actor("admin"), now=NOW)["mine"] == 10


@pytest.fixture
def machine_in_tokyo(monkeypatch: pytest.MonkeyPatch) -> Any:
    """The server machine's own zone (TZ) is not UTC."""
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_times_are_the_locations_whatever_the_machines_zone(
    clinic: Any, machine_in_tokyo: Any
) -> None:
    _booked(clinic, clinic.location, clinic.room, dt.datetime(2030, 6, 15, 7, 30, tzinfo=UTC))
    [(_row, local)] = today_card(clinic.actor("practitioner"), now=NOW)["appointments"]
    assert local.strftime("%d %H:%M") == "15 09:30"  # Rome, UTC+2


def test_a_day_without_appointments_counts_none(clinic: Any) -> None:
    _booked(clinic, clinic.location, clinic.room, NOW - dt.timedelta(days=1))
    assert today_card(clinic.actor("practitioner"), now=NOW) == {
        "appointments": [],
        "count": 0,
        "mine": 0,
    }


def test_a_busy_day_costs_the_page_no_more_queries_and_reads_only_the_rows_shown(
    clinic: Any, web: Callable[[str], Any], django_assert_max_num_queries: Any
) -> None:
    tz = clinic.location.tz
    midnight = dt.datetime.combine(timezone.localdate(timezone=tz), dt.time(), tzinfo=tz)
    _booked(clinic, clinic.location, clinic.room, midnight)
    client = web("practitioner")
    client.get("/")
    with CaptureQueriesContext(connection) as quiet:
        assert client.get("/").status_code == 200
    for i in range(1, 40):
        _booked(clinic, clinic.location, clinic.room, midnight + dt.timedelta(minutes=15 * i))
    with django_assert_max_num_queries(len(quiet)) as busy:
        response = client.get("/")
    card = next(c.data for c in response.context["cards"] if c.key == "today")
    assert (card["count"], card["mine"], len(card["appointments"])) == (40, 40, CARD_ROWS)
    listed = [
        q["sql"] for q in busy.captured_queries if 'FROM "scheduling_appointment"' in q["sql"]
    ]
    # One statement, which joins patients, practitioners and rooms to the rows it shows only.
    assert len(listed) == 1 and f"LIMIT {CARD_ROWS})" in listed[0]
    assert listed[0].index(f"LIMIT {CARD_ROWS})") < listed[0].index('JOIN "patients_patient"')
