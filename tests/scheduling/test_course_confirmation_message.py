"""Booking a course sends ONE confirmation listing every session (local time with its zone,
location), not one per session; reminders stay one per appointment; a retried booking sends
nothing more (issue 18, bug 10)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.db import transaction

from mesocare.notify.models import OutboxMessage
from mesocare.notify.rendering import render_message
from mesocare.notify.schedules import schedule_course_messages
from mesocare.notify.worker import deliver_due
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.appointments import book_appointment
from mesocare.scheduling.services.courses import SessionChoice, book_course

pytestmark = pytest.mark.django_db


@pytest.fixture
def reachable(sched: Any, settings: Any) -> Any:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.NOTIFY_QUIET_HOURS = ""
    sched.patient.email = "lucia@example.org"
    sched.patient.preferred_channel = "email"
    sched.patient.save()
    return sched


def book(
    clinic: Any, plan: Any, h: Any, days: list[int], hour: int = 9, role: str = "admin"
) -> list[Appointment]:
    """The course's sessions 1… on `days` (from MONDAY) at `hour` local time."""
    member = clinic.members["practitioner"]
    choices = [
        SessionChoice(n, h.at(h.day(d), hour), member, clinic.room)
        for n, d in enumerate(days, start=1)
    ]
    return book_course(clinic.actor(role), plan, choices)


def confirmations(patient: Any) -> list[OutboxMessage]:
    return list(OutboxMessage.objects.filter(patient=patient, kind="booking_confirmation"))


def test_a_staff_course_booking_sends_one_confirmation_listing_every_session(
    reachable: Any, plan: Any, h: Any
) -> None:
    booked = book(reachable, plan, h, [0, 7, 14, 21], role="reception")
    (message,) = confirmations(reachable.patient)
    assert message.template == "course_confirmation"
    assert [s["appointment"] for s in message.payload["sessions"]] == [a.pk for a in booked]
    # Reminders stay one per appointment.
    reminders = OutboxMessage.objects.filter(patient=reachable.patient, kind="reminder")
    assert sorted(reminders.values_list("appointment_id", flat=True)) == sorted(
        a.pk for a in booked
    )
    rendered = render_message(message)
    assert "Your course is booked" in rendered.subject
    assert "Your course of 4 sessions is booked:" in rendered.text
    # 09:00 on the wall clock of the location (Europe/Rome), with the zone, both sides of the
    # switch to summer time (31 March 2030).
    for a in booked:
        local = a.start.astimezone(h.ROME)
        zone = local.tzname()
        assert f"{local:%H:%M} {zone}" in rendered.text
        assert f"{local.day} " in rendered.text
    assert "09:00 CET" in rendered.text and "09:00 CEST" in rendered.text
    assert rendered.text.count(reachable.location.name) >= 4
    assert rendered.html.count("<li><strong>") == 4
    assert all(t in rendered.sms for t in ("09:00 CET", "09:00 CEST"))
    ics = rendered.attachments[0][1].decode()
    assert ics.count("BEGIN:VEVENT") == 4
    assert all(f"UID:appointment-{a.pk}@mesocare" in ics for a in booked)
    # Delivered: one email, not four.
    deliver_due(now=booked[0].start - dt.timedelta(days=40))
    assert len(mail.outbox) == 1


def test_the_course_confirmation_is_written_once_when_the_booking_is_retried(
    reachable: Any, plan: Any, h: Any
) -> None:
    booked = book(reachable, plan, h, [0, 7, 14], hour=11)
    with transaction.atomic():
        schedule_course_messages(list(reversed(booked)))
        schedule_course_messages(booked)
    assert len(confirmations(reachable.patient)) == 1


def test_an_api_course_booking_retried_with_its_idempotency_key_sends_one_confirmation(
    reachable: Any, plan: Any, h: Any
) -> None:
    api = reachable.api("reception")
    api.headers["HTTP_IDEMPOTENCY_KEY"] = "course-retry-1"
    body = {"sessions": h.course(reachable, [0, 7, 14, 21])}
    first = api.post(f"plans/{plan.pk}/book", body)
    assert first.status_code == 201, first.content
    again = api.post(f"plans/{plan.pk}/book", body)
    assert again.status_code in (201, 409)
    assert Appointment.objects.filter(plan=plan).count() == 4
    (message,) = confirmations(reachable.patient)
    assert len(message.payload["sessions"]) == 4


def test_a_single_appointment_keeps_its_single_confirmation(reachable: Any, h: Any) -> None:
    appointment = book_appointment(
        reachable.actor(),
        patient=reachable.patient,
        start=h.at(h.day(2), 10),
        duration_min=30,
        practitioner=reachable.members["practitioner"],
        room=reachable.room,
    )
    (message,) = confirmations(reachable.patient)
    assert message.template == "booking_confirmation"
    assert message.appointment_id == appointment.pk
    assert "Your appointment is booked" in render_message(message).subject


def test_moving_one_session_of_a_confirmed_course_updates_its_calendar_entry(
    reachable: Any, plan: Any, h: Any
) -> None:
    booked = book(reachable, plan, h, [0, 7])
    OutboxMessage.objects.filter(kind="booking_confirmation").update(status="sent")
    from mesocare.notify.schedules import reschedule_for_appointment

    moved = booked[1]
    moved.start += dt.timedelta(days=1)
    moved.end += dt.timedelta(days=1)
    moved.save()
    with transaction.atomic():
        new = reschedule_for_appointment(moved)
    confirmation = next(m for m in new if m.kind == "booking_confirmation")
    assert confirmation.payload["rescheduled"] is True
    assert confirmation.payload["sequence"] == 1


def test_the_course_confirmation_reads_in_italian(
    reachable: Any, plan: Any, h: Any, settings: Any
) -> None:
    settings.LANGUAGE_CODE = "it"
    book(reachable, plan, h, [0, 7, 14])
    (message,) = confirmations(reachable.patient)
    rendered = render_message(message)
    assert "Il Suo ciclo di 3 sedute è prenotato:" in rendered.text
    assert "il Suo ciclo è prenotato" in rendered.sms
    assert "Your course" not in rendered.text + rendered.sms + rendered.subject


def test_a_rescheduled_course_confirmation_counts_the_moved_session_and_not_the_new_one(
    reachable: Any, plan: Any, h: Any
) -> None:
    """A new session needs no look for earlier confirmations (none can name it); a moved one
    still has its own, so the new calendar entry replaces the one the patient holds."""
    from mesocare.scheduling.services.courses import reschedule_course

    booked = book(reachable, plan, h, [0, 7])
    OutboxMessage.objects.filter(kind="booking_confirmation").update(status="sent")
    member = reachable.members["practitioner"]
    written = reschedule_course(
        reachable.actor(),
        plan,
        [
            SessionChoice(2, h.at(h.day(8), 9), member, reachable.room),
            SessionChoice(3, h.at(h.day(15), 9), member, reachable.room),
        ],
    )
    assert written[0].pk == booked[1].pk  # session 2 moved, session 3 new
    latest = OutboxMessage.objects.filter(
        kind="booking_confirmation", status="pending", patient=reachable.patient
    ).get()
    sequence = {s["appointment"]: s["sequence"] for s in latest.payload["sessions"]}
    assert sequence == {booked[1].pk: 1, written[1].pk: 0}
    assert latest.payload["rescheduled"] is True
