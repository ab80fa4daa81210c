"""What one `POST /api/v1/appointments` costs: the booking a desk's system sends most often.

The answer is built from the rows the request already loaded (no read after the write), and
the patient comes with the organization the outbox's messages name, so a booking with its
audit row, confirmation and reminder stays within a fixed number of queries."""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from mesocare.audit.models import AuditEvent
from mesocare.notify.models import OutboxMessage
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.signals import appointments_booked


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
    # SMS opt-out check of this patient's number, one insert of both messages), with its
    # BEGIN and COMMIT. It was 21
    # when the answer was read back, the organization read apart and each message checked
    # and inserted on its own; 14 with the outbox's look for earlier confirmations of the new
    # appointment, its savepoint and its read of the rows back.
    with django_assert_max_num_queries(10):
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


def test_a_booking_writes_its_messages_without_reading_the_outbox(
    sched: Any, h: Any, api: Any
) -> None:
    """A new appointment cannot have had a confirmation sent, and the booking has no use for
    the message rows: the outbox is written once and never read, without a savepoint."""
    api.get("me")
    with CaptureQueriesContext(connection) as ctx:
        r = api.post("appointments", booking(sched, h))
    assert r.status_code == 201, r.content
    outbox = [q["sql"] for q in ctx.captured_queries if "notify_outboxmessage" in q["sql"]]
    assert len(outbox) == 1 and outbox[0].startswith("INSERT"), outbox
    # The patient, practitioner and room are found by their keys, without the models' order
    # (by which the planner may walk the organization's rows to find one).
    lookups = ctx.captured_queries[1:4]
    assert all("ORDER BY" not in q["sql"] for q in lookups), lookups
    # The booking's own transaction (a savepoint within the test's) and no other.
    savepoints = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SAVEPOINT")]
    assert len(savepoints) <= 1, savepoints
    messages = OutboxMessage.objects.filter(appointment_id=r.json()["id"])
    assert sorted(messages.values_list("kind", flat=True)) == ["booking_confirmation", "reminder"]
    confirmation = messages.get(kind="booking_confirmation")
    assert confirmation.payload["sequence"] == 0
    assert confirmation.payload["rescheduled"] is False


def test_the_booked_signal_sent_again_writes_no_second_message(
    sched: Any, h: Any, api: Any
) -> None:
    r = api.post("appointments", booking(sched, h))
    assert r.status_code == 201, r.content
    appointment = Appointment.objects.select_related("patient", "location").get(pk=r.json()["id"])
    before = list(OutboxMessage.objects.order_by("pk").values_list("pk", "idempotency_key"))
    assert len(before) == 2
    with transaction.atomic():
        appointments_booked.send(
            sender=Appointment,
            actor=sched.actor(),
            appointments=[appointment],
            created_ids=frozenset([appointment.pk]),
        )
        appointments_booked.send(
            sender=Appointment, actor=sched.actor(), appointments=[appointment]
        )
    after = list(OutboxMessage.objects.order_by("pk").values_list("pk", "idempotency_key"))
    assert after == before
