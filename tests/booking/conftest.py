"""Online booking fixtures: the clinic of tests/conftest.py with opening and working hours
(two practitioners), online booking open, and a consultation service linked to a curated
protocol (its products are what the safety check looks at)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from mesocare.booking.models import OnlineService
from mesocare.booking.services.setup import settings_of
from mesocare.catalog.models import Protocol
from mesocare.clinics.models import OpeningHours, WorkingHours

ROME = ZoneInfo("Europe/Rome")
# Bookings are checked against the real clock (nothing is booked in the past, no weight is
# measured in the future): the tests book the Monday at least a week ahead.
NOW = timezone.now()
MONDAY = timezone.localdate(NOW, timezone=ROME) + dt.timedelta(days=7)
MONDAY += dt.timedelta(days=-MONDAY.weekday())
if timezone.localdate(NOW, timezone=ROME) + dt.timedelta(days=2) >= MONDAY:
    MONDAY += dt.timedelta(days=7)


def at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=ROME)


def open_clinic(clinic: Any, roles: tuple[str, ...] = ("practitioner", "admin")) -> None:
    for weekday in range(6):
        OpeningHours.objects.create(
            location=clinic.location, weekday=weekday, opens=dt.time(8), closes=dt.time(20)
        )
        for role in roles:
            for opens, closes in ((dt.time(9), dt.time(13)), (dt.time(14), dt.time(18))):
                WorkingHours.objects.create(
                    organization=clinic.org,
                    membership=clinic.members[role],
                    location=clinic.location,
                    weekday=weekday,
                    opens=opens,
                    closes=closes,
                )


def lipolysis_protocol() -> Protocol:
    protocol = (
        Protocol.objects.filter(organization__isnull=True, product_links__isnull=False)
        .distinct()
        .order_by("id")
        .first()
    )
    assert protocol is not None, "the curated catalog is loaded after migrate"
    return protocol


@pytest.fixture
def online(clinic: Any) -> Any:
    """The clinic, open online, with a 30-minute consultation bookable 2 h ahead."""
    open_clinic(clinic)
    settings = settings_of(clinic.org)
    settings.enabled = True
    settings.policy_text = "Cancel up to 24 hours before at no cost."
    settings.save()
    clinic.service = OnlineService.objects.create(
        organization=clinic.org,
        name="First consultation",
        protocol=lipolysis_protocol(),
        duration_min=30,
        price_text="€60",
        lead_time_hours=2,
        room_kind="facial",
    )
    # Test modules cannot import this conftest (importlib mode): the helpers ride along.
    clinic.monday, clinic.now, clinic.at = MONDAY, NOW, at
    return clinic
