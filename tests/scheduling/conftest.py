"""Scheduling fixtures: the `clinic` of tests/conftest.py with working and opening hours, a
second facial room, and a proposed plan (4 sessions, 30 min, gaps 5/7/14 days, facial room).

Dates are in 2030, around the switch to summer time in Europe/Rome (Sunday 31 March 2030),
so they stay in the future and every course crosses a DST change when it wants to."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mesocare.clinics.models import OpeningHours, Room, WorkingHours
from mesocare.plans.models import TreatmentPlan
from tests.factories import make_plan

ROME = ZoneInfo("Europe/Rome")
MONDAY = dt.date(2030, 3, 25)  # the week before the DST change


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ROME)


def iso(day: dt.date, hour: int, minute: int = 0) -> str:
    return at(day, hour, minute).isoformat()


def day(n: int) -> dt.date:
    """The n-th day after MONDAY (0 = Monday 25 March 2030)."""
    return MONDAY + dt.timedelta(days=n)


def open_hours(clinic: Any, member_roles: tuple[str, ...] = ("practitioner",)) -> None:
    for weekday in range(6):  # Monday..Saturday
        OpeningHours.objects.create(
            location=clinic.location, weekday=weekday, opens=dt.time(8), closes=dt.time(20)
        )
        for role in member_roles:
            for opens, closes in ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(18))):
                WorkingHours.objects.create(
                    organization=clinic.org,
                    membership=clinic.members[role],
                    location=clinic.location,
                    weekday=weekday,
                    opens=opens,
                    closes=closes,
                )


@pytest.fixture
def sched(clinic: Any) -> Any:
    """`clinic` ready to book: hours for its practitioner, a second facial room, a body room."""
    open_hours(clinic)
    clinic.room2 = Room.objects.create(
        organization=clinic.org, location=clinic.location, name="Facial 2", kind="facial"
    )
    clinic.body_room = Room.objects.create(
        organization=clinic.org, location=clinic.location, name="Body 1", kind="body"
    )
    return clinic


@pytest.fixture
def plan(sched: Any) -> TreatmentPlan:
    return make_plan(sched)


def course(
    sched: Any, days: list[int], hour: int = 12, minute: int = 0, room: Any = None
) -> list[dict[str, Any]]:
    """Sessions 1..n of a `POST /plans/{id}/book` body on the given days (from MONDAY)."""
    return [
        {
            "index": n,
            "start": iso(day(d), hour, minute),
            "practitioner": sched.members["practitioner"].pk,
            "room": (room or sched.room).pk,
        }
        for n, d in enumerate(days, start=1)
    ]


@pytest.fixture
def h() -> Any:
    """The helpers above, for test modules (importlib mode: they cannot import conftest)."""
    from types import SimpleNamespace

    return SimpleNamespace(
        at=at,
        iso=iso,
        day=day,
        course=course,
        make_plan=make_plan,
        open_hours=open_hours,
        ROME=ROME,
        MONDAY=MONDAY,
    )
