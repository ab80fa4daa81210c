"""Scheduling's periodic job in the background worker: expired waitlist offers are passed on."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mesocare.notify.signals import periodic_jobs_due
from mesocare.scheduling.services.waitlist import expire_offers


def expire_waitlist_offers(now: dt.datetime | None = None, **_: Any) -> tuple[str, int]:
    return "waitlist_offers_expired", expire_offers(now)


def connect() -> None:
    periodic_jobs_due.connect(expire_waitlist_offers, dispatch_uid="waitlist_offers_expired")
