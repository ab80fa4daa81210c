"""`make demo` switches online booking on with two consultations; loading again adds nothing."""

from __future__ import annotations

from typing import Any

from mesocare.booking.demo import load_online_booking
from mesocare.booking.models import OnlineService
from mesocare.booking.services.setup import settings_of


def test_the_demo_clinic_books_online(clinic: Any) -> None:
    load_online_booking(clinic.actor("admin"))
    load_online_booking(clinic.actor("admin"))
    assert settings_of(clinic.org).enabled
    services = list(OnlineService.objects.for_org(clinic.org))
    assert len(services) == 2
    assert all(s.protocol is not None and s.bookable_online for s in services)
