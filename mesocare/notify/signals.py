"""Signals the messages domain sends. The background worker (`mesocare.notify.worker`) hosts the
periodic jobs of every domain; a domain declares its job by connecting a receiver here, so the
worker needs to know no other domain."""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: now (datetime or None for the current time). Sent by the worker every
# `PERIODIC_EVERY` seconds; each receiver does one job and returns (job name, rows affected).
# A failing receiver is logged and does not stop the others or delivery.
periodic_jobs_due = Signal()
