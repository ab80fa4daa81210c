"""Waitlist offers that are declined, withdrawn, expire or fail: the freed slot goes on to the
next matching waiter, never twice to the same one, and every step is audited."""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from mesocare.audit.models import AuditEvent
from mesocare.errors import Conflict
from mesocare.notify import worker
from mesocare.notify.worker import DeliveryStats
from mesocare.patients.models import Patient
from mesocare.scheduling.choices import WaitlistStatus
from mesocare.scheduling.models import Appointment, WaitlistEntry
from mesocare.scheduling.services import appointments as appts
from mesocare.scheduling.services import waitlist


def _patient(sched: Any, given: str) -> Patient:
    return Patient.objects.create(
        organization=sched.org,
        given_name=given,
        family_name="Attesa",
        birth_date=dt.date(1985, 1, 1),
        sex_at_birth="female",
    )


def _book(sched: Any, h: Any, patient: Patient) -> Appointment:
    return appts.book_appointment(
        sched.actor(),
        patient=patient,
        practitioner=sched.members["practitioner"],
        room=sched.room,
        start=h.at(h.day(0), 12),
        duration_min=30,
    )


@pytest.fixture
def offer(sched: Any, h: Any) -> SimpleNamespace:
    """Two waiters (first, second: both fit); the appointment at day 0 12:00 is cancelled and
    the slot offered to `first`."""
    appointment = _book(sched, h, sched.patient)
    actor = sched.actor("reception")
    entries = [
        waitlist.add_to_waitlist(
            actor,
            patient=_patient(sched, name),
            location=sched.location,
            earliest=h.day(0),
            duration_min=30,
        )
        for name in ("Anna", "Bea")
    ]
    appts.cancel_appointment(actor, appointment, "patient has the flu")
    for entry in entries:
        entry.refresh_from_db()
    assert entries[0].status == WaitlistStatus.OFFERED
    assert entries[1].status == WaitlistStatus.WAITING
    return SimpleNamespace(
        appointment=appointment, first=entries[0], second=entries[1], start=h.at(h.day(0), 12)
    )


def _audits(entry: WaitlistEntry) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            object_type="scheduling.waitlistentry", object_id=str(entry.pk)
        ).order_by("at", "id")
    )


def _assert_waiting_without_offer(entry: WaitlistEntry) -> None:
    entry.refresh_from_db()
    assert entry.status == WaitlistStatus.WAITING
    assert entry.offered_start is None
    assert entry.offered_appointment_id is None
    assert entry.offer_expires_at is None


def test_an_offer_expires_after_the_configured_hours(sched: Any, offer: Any) -> None:
    first = offer.first
    assert first.offer_expires_at == first.offered_at + dt.timedelta(hours=24)
    body = sched.api().get("waitlist", status="offered").json()
    assert [item["id"] for item in body["items"]] == [first.pk]
    assert body["items"][0]["offer_expires_at"] is not None


def test_the_offer_hours_come_from_the_setting(sched: Any, h: Any, settings: Any) -> None:
    settings.WAITLIST_OFFER_HOURS = 2
    appointment = _book(sched, h, sched.patient)
    entry = waitlist.add_to_waitlist(
        sched.actor(),
        patient=_patient(sched, "Anna"),
        location=sched.location,
        earliest=h.day(0),
        duration_min=30,
    )
    appts.cancel_appointment(sched.actor(), appointment, "moved away")
    entry.refresh_from_db()
    assert entry.offered_at is not None
    assert entry.offer_expires_at == entry.offered_at + dt.timedelta(hours=2)


def test_declining_keeps_the_entry_waiting_and_offers_the_slot_to_the_next_waiter(
    sched: Any, offer: Any
) -> None:
    response = sched.api("reception").post(f"waitlist/{offer.first.pk}/decline")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "waiting"
    assert body["offer"] is None
    assert body["offer_expires_at"] is None
    _assert_waiting_without_offer(offer.first)
    offer.second.refresh_from_db()
    assert offer.second.status == WaitlistStatus.OFFERED
    assert offer.second.offered_start == offer.start
    assert offer.second.offered_appointment_id == offer.appointment.pk
    assert offer.second.offer_expires_at is not None
    declined = _audits(offer.first)[-1]
    assert declined.summary == "offer declined; waiting again"
    assert declined.actor_id == sched.user("reception").pk
    assert "offered the slot" in _audits(offer.second)[-1].summary


def test_a_slot_declined_by_everyone_is_not_offered_again_to_the_first(
    sched: Any, offer: Any
) -> None:
    api = sched.api("reception")
    assert api.post(f"waitlist/{offer.first.pk}/decline").status_code == 200
    assert api.post(f"waitlist/{offer.second.pk}/decline").status_code == 200
    _assert_waiting_without_offer(offer.first)
    _assert_waiting_without_offer(offer.second)


def test_declining_without_an_open_offer_is_a_conflict(sched: Any, offer: Any) -> None:
    response = sched.api().post(f"waitlist/{offer.second.pk}/decline")
    assert response.status_code == 409
    assert response.json()["code"] == "no_offer"


def test_withdrawing_with_an_open_offer_passes_the_slot_on(sched: Any, offer: Any) -> None:
    response = sched.api("reception").post(f"waitlist/{offer.first.pk}/withdraw")
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    offer.first.refresh_from_db()
    assert offer.first.status == WaitlistStatus.CANCELLED
    assert offer.first.offered_start is None
    offer.second.refresh_from_db()
    assert offer.second.status == WaitlistStatus.OFFERED
    assert offer.second.offered_start == offer.start
    assert _audits(offer.first)[-1].summary == "left the waitlist (offer declined)"


def test_an_expired_offer_waits_again_and_the_next_waiter_is_offered_the_slot(
    sched: Any, offer: Any
) -> None:
    expires = offer.first.offer_expires_at
    assert waitlist.expire_offers(now=expires - dt.timedelta(seconds=1)) == 0
    assert waitlist.expire_offers(now=expires + dt.timedelta(seconds=1)) == 1
    _assert_waiting_without_offer(offer.first)
    offer.second.refresh_from_db()
    assert offer.second.status == WaitlistStatus.OFFERED
    assert offer.second.offered_start == offer.start
    expired = _audits(offer.first)[-1]
    assert expired.summary == "offer expired; waiting again"
    assert (expired.actor_id, expired.actor_label, expired.channel) == (None, "system", "system")
    passed = _audits(offer.second)[-1]
    assert "offered the slot" in passed.summary
    assert passed.channel == "system"
    # the second offer expires too: the slot is not offered to the first waiter again
    assert waitlist.expire_offers(now=offer.second.offer_expires_at) == 1
    _assert_waiting_without_offer(offer.first)
    _assert_waiting_without_offer(offer.second)


def test_accepting_an_expired_offer_is_a_conflict_and_passes_the_slot_on(
    sched: Any, offer: Any
) -> None:
    WaitlistEntry.objects.filter(pk=offer.first.pk).update(
        offer_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    response = sched.api("reception").post(f"waitlist/{offer.first.pk}/accept")
    assert response.status_code == 409
    assert response.json()["code"] == "offer_expired"
    _assert_waiting_without_offer(offer.first)
    offer.second.refresh_from_db()
    assert offer.second.status == WaitlistStatus.OFFERED
    assert not Appointment.objects.filter(patient=offer.first.patient).exists()


def test_accepting_a_slot_taken_meanwhile_returns_the_entry_to_waiting(
    sched: Any, h: Any, offer: Any
) -> None:
    taker = _patient(sched, "Carla")
    _book(sched, h, taker)  # someone booked the freed slot directly
    response = sched.api("reception").post(f"waitlist/{offer.first.pk}/accept")
    assert response.status_code == 409
    assert response.json()["code"] == "booking_conflict"
    _assert_waiting_without_offer(offer.first)
    assert _audits(offer.first)[-1].summary == (
        "accepting the offer failed (booking_conflict); waiting again"
    )
    offer.second.refresh_from_db()
    assert offer.second.status == WaitlistStatus.WAITING  # the slot is taken: nothing to offer


def test_accepting_a_slot_taken_meanwhile_raises_from_the_service(
    sched: Any, h: Any, offer: Any
) -> None:
    _book(sched, h, _patient(sched, "Carla"))
    with pytest.raises(Conflict):
        waitlist.accept_offer(sched.actor(), offer.first)
    assert offer.first.status == WaitlistStatus.WAITING


def test_accepting_an_open_offer_books_it(sched: Any, offer: Any) -> None:
    response = sched.api("reception").post(f"waitlist/{offer.first.pk}/accept")
    assert response.status_code == 201, response.content
    offer.first.refresh_from_db()
    assert offer.first.status == WaitlistStatus.BOOKED
    assert offer.first.offer_expires_at is None
    assert _audits(offer.first)[-1].summary == "offer accepted"


def test_the_worker_periodic_jobs_expire_offers(sched: Any, offer: Any) -> None:
    later = offer.first.offer_expires_at + dt.timedelta(minutes=1)
    assert worker.run_periodic_jobs(now=later)["waitlist_offers_expired"] == 1
    _assert_waiting_without_offer(offer.first)


def test_the_outbox_loop_runs_the_periodic_jobs(
    sched: Any, offer: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    WaitlistEntry.objects.filter(pk=offer.first.pk).update(
        offer_expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    monkeypatch.setattr(worker, "close_old_connections", lambda: None)
    monkeypatch.setattr(worker, "deliver_due", lambda *a, **k: DeliveryStats())
    worker.run_outbox_loop(threading.Event(), once=True)
    _assert_waiting_without_offer(offer.first)
    offer.second.refresh_from_db()
    assert offer.second.status == WaitlistStatus.OFFERED


def test_another_organization_cannot_decline(sched: Any, offer: Any, other_clinic: Any) -> None:
    response = other_clinic.api().post(f"waitlist/{offer.first.pk}/decline")
    assert response.status_code == 404
    offer.first.refresh_from_db()
    assert offer.first.status == WaitlistStatus.OFFERED
