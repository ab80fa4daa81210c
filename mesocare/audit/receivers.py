"""The audit log's periodic job in the background worker: the coming months' partitions exist
before their first event (PostgreSQL; nothing to do on SQLite)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from mesocare.audit.partitions import ensure_ahead
from mesocare.notify.signals import periodic_jobs_due


def create_coming_partitions(now: dt.datetime | None = None, **_: Any) -> tuple[str, int]:
    return "audit_partitions_created", ensure_ahead(now)


def connect() -> None:
    periodic_jobs_due.connect(create_coming_partitions, dispatch_uid="audit_partitions_created")
