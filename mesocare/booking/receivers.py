"""Online booking's periodic job in the background worker: lapsed slot holds are purged."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mesocare.booking.services.slots import purge_holds
from mesocare.notify.signals import periodic_jobs_due


def purge_lapsed_holds(now: dt.datetime | None = None, **_: Any) -> tuple[str, int]:
    return "booking_holds_purged", purge_holds(now)


def connect() -> None:
    periodic_jobs_due.connect(purge_lapsed_holds, dispatch_uid="booking_holds_purged")
