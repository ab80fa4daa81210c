"""The background worker purges lapsed booking holds, as one of the domains' periodic jobs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mesocare.booking.models import Hold
from mesocare.booking.services.slots import find_slots, place_hold
from mesocare.notify import worker
from mesocare.notify.signals import periodic_jobs_due

pytestmark = pytest.mark.django_db


def _hold(online: Any, index: int) -> Hold:
    slots = find_slots(online.org.pk, online.service, online.location, online.monday, online.monday)
    slot = slots[index * 4]
    hold, _raw = place_hold(
        online.org.pk,
        online.service,
        online.location,
        slot.practitioner_id,
        slot.room_id,
        slot.start,
    )
    return hold


def test_the_worker_purges_holds_that_lapsed_a_week_ago_and_keeps_live_ones(online: Any) -> None:
    old, live = _hold(online, 0), _hold(online, 1)
    Hold.objects.filter(pk=old.pk).update(expires_at=live.expires_at - dt.timedelta(days=8))
    done = worker.run_periodic_jobs(now=live.expires_at - dt.timedelta(minutes=1))
    assert done["booking_holds_purged"] == 1
    assert list(Hold.objects.values_list("pk", flat=True)) == [live.pk]


def test_a_failing_job_does_not_stop_the_others(online: Any) -> None:
    hold = _hold(online, 0)
    Hold.objects.filter(pk=hold.pk).update(expires_at=hold.expires_at - dt.timedelta(days=30))

    def broken(**_: Any) -> tuple[str, int]:
        raise RuntimeError("boom")

    periodic_jobs_due.connect(broken, dispatch_uid="test-broken-job")
    try:
        done = worker.run_periodic_jobs()
    finally:
        periodic_jobs_due.disconnect(dispatch_uid="test-broken-job")
    assert done["booking_holds_purged"] == 1
    assert "waitlist_offers_expired" in done
