"""What one `POST /api/v1/appointments` costs: the booking a desk's system sends most often.

The answer is built from the rows the request already loaded (no read after the write), and
the patient comes with the organization the outbox's messages name, so a booking with its
audit row, confirmation and reminder stays within a fixed number of queries."""

from __future__ import annotations

from typing import Any

from mesocare.audit.models import AuditEvent
from mesocare.notify.models import OutboxMessage
from mesocare.scheduling.models import Appointment


def booking(sched: Any, h: Any, hour: int = 10) -> dict[str, Any]:
    return {
        "patient": sched.patient.pk,
        "practitioner": sched.members["practitioner"].pk,
        "room": sched.room.pk,
        "start": h.iso(h.day(1), hour),  # local time with its offset (+01:00)
        "duration_min": 30,
    }


def test_a_booked_appointment_answers_what_reading_it_later_shows(
    sched: Any, h: Any, api: Any
) -> None:
    r = api.post("appointments", booking(sched, h))
    assert r.status_code == 201, r.content
    answered = r.json()
    shown = api.get(f"appointments/{answered['id']}").json()
    assert answered == shown
    assert answered["start"].endswith("Z")  # in UTC, whatever offset the client sent
    assert answered["local_start"] == "2030-03-26T10:00:00+01:00"
    assert answered["practitioner_name"] == sched.members["practitioner"].user.full_name


def test_booking_one_appointment_over_the_api_stays_within_its_query_budget(
    sched: Any, h: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    api.get("me")  # the token's last-used stamp is written at most once a minute
    # token, practitioner, patient (with organization), room (with location); in one
    # transaction the insert, the audit row, and the outbox's confirmation and reminder (the
    # earlier confirmations, the SMS opt-out check of this patient's number, one insert of
    # both messages and their rows back). It was 21 when the answer was read back, the
    # organization read apart and each message checked and inserted on its own.
    with django_assert_max_num_queries(14):
        r = api.post("appointments", booking(sched, h))
    assert r.status_code == 201, r.content
    appointment = Appointment.objects.get(pk=r.json()["id"])
    assert AuditEvent.objects.filter(
        object_type="scheduling.appointment", object_id=str(appointment.pk), action="create"
    ).exists()
    kinds = set(
        OutboxMessage.objects.filter(appointment=appointment).values_list("kind", flat=True)
    )
    assert kinds == {"booking_confirmation", "reminder"}


def test_a_refused_booking_still_names_the_conflict(sched: Any, h: Any, api: Any) -> None:
    assert api.post("appointments", booking(sched, h)).status_code == 201
    r = api.post("appointments", booking(sched, h))
    assert r.status_code == 409
    assert {c["reason"] for c in r.json()["conflicts"]} >= {"practitioner_busy", "room_busy"}
    assert Appointment.objects.count() == 1
