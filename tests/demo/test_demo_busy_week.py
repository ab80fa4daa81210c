"""The demo's calendar looks like a busy clinic's week: at each location most of the
practitioner's half-hour slots of every working day this week are taken, past visits were seen
or missed (no-shows), courses are in progress among them, nothing overlaps, and loading the demo
again adds nothing."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import pytest
from django.utils import timezone

from mesocare.clinics.models import Location, WorkingHours
from mesocare.demo.data import load_demo
from mesocare.scheduling.choices import ACTIVE_STATUSES
from mesocare.scheduling.models import Appointment

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def demo_settings(monkeypatch: Any, tmp_path: Any, settings: Any) -> None:
    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")


def _week(location: Location) -> tuple[dt.datetime, dt.datetime]:
    today = timezone.localtime(timezone.now(), location.tz).date()
    monday = today - dt.timedelta(days=today.weekday())
    start = dt.datetime.combine(monday, dt.time(), tzinfo=location.tz)
    return start, start + dt.timedelta(days=6)


def test_this_week_is_busy_at_every_location_and_a_second_load_adds_nothing() -> None:
    load_demo()
    for location in Location.objects.all():
        start, end = _week(location)
        week = Appointment.objects.filter(location=location, start__gte=start, start__lt=end)
        working = sum(
            (dt.datetime.combine(dt.date.min, h.closes) - dt.datetime.combine(dt.date.min, h.opens))
            / dt.timedelta(minutes=30)
            for h in WorkingHours.objects.filter(location=location, weekday__lt=6)
        )
        taken = sum(
            (a.end - a.start) / dt.timedelta(minutes=30) for a in week.exclude(status="cancelled")
        )
        assert taken >= 0.6 * working, (location.name, taken, working)
        # courses in progress around it (this week or the next: late on a Sunday evening
        # "this week" is the one ending)
        assert Appointment.objects.filter(
            location=location,
            plan__isnull=False,
            start__gte=start,
            start__lt=end + dt.timedelta(days=8),
        ).exists(), location.name
        assert week.filter(plan__isnull=True, notes="First consultation").exists()
        # several practitioners (four in the clinic, two at each location), each of them busy
        working_here = set(
            WorkingHours.objects.filter(location=location).values_list("membership_id", flat=True)
        )
        assert len(working_here) == 2, location.name
        for member in working_here:
            mine = week.filter(practitioner_id=member).exclude(status="cancelled").count()
            assert mine >= 10, (location.name, member, mine)
        if week.filter(end__lt=timezone.now()).count() > 8:
            assert week.filter(status="no_show").exists(), location.name
            assert week.filter(status="completed").exists(), location.name

    active = list(Appointment.objects.filter(status__in=ACTIVE_STATUSES).order_by("start"))
    for a, b in itertools.combinations(active, 2):
        if a.start < b.end and b.start < a.end:
            assert a.practitioner_id != b.practitioner_id
            assert a.room_id != b.room_id
            assert a.patient_id != b.patient_id

    count = Appointment.objects.count()
    result = load_demo()
    assert Appointment.objects.count() == count
    assert result is not None
