"""Which messages booking, moving, cancelling, signing and completing cause."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from mesocare.notify.choices import MessageKind, MessageStatus
from mesocare.notify.models import OutboxMessage
from mesocare.notify.rendering import render_message
from mesocare.notify.services import (
    cancel_for_appointment,
    reschedule_for_appointment,
    schedule_aftercare,
    schedule_booking_messages,
    schedule_maintenance_recall,
)
from mesocare.plans.services.states import change_status
from mesocare.scheduling.signals import (
    appointment_moved,
    appointment_status_changed,
    appointments_booked,
)

pytestmark = pytest.mark.django_db


def kinds(**filters):
    return sorted(
        OutboxMessage.objects.filter(**filters).values_list("kind", "status").order_by("kind")
    )


def test_booking_schedules_confirmation_pre_care_and_reminder(clinic, make, journal):
    plan = make.plan()
    start = timezone.now() + dt.timedelta(days=10)
    appointment = make.appointment(start=start, plan=plan, index=1)
    messages = {m.kind: m for m in schedule_booking_messages(appointment)}
    assert set(messages) == {"booking_confirmation", "pre_care", "reminder"}
    assert messages["reminder"].due_at == start - dt.timedelta(hours=24)
    # pre_care_general asks for 7 days without painkillers and supplements.
    assert messages["pre_care"].due_at == start - dt.timedelta(hours=168)
    assert messages["booking_confirmation"].payload["ics"] is True
    reminder = render_message(messages["reminder"])
    assert "Avoid coffee, tea, cola" in reminder.text
    assert "https://clinic.example/p/pre-care/" in reminder.text
    assert all(m.appointment_id == appointment.pk for m in messages.values())
    assert all(m.plan_id == plan.pk for m in messages.values())


def test_booking_twice_schedules_nothing_new(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    schedule_booking_messages(appointment)
    schedule_booking_messages(appointment)
    assert OutboxMessage.objects.count() == 3


def test_a_booking_for_tomorrow_gets_no_reminder_in_the_past(clinic, make):
    appointment = make.appointment(start=timezone.now() + dt.timedelta(hours=20))
    assert [m.kind for m in schedule_booking_messages(appointment)] == ["booking_confirmation"]


def test_the_confirmation_carries_an_ics_with_the_appointment(clinic, make, journal):
    start = dt.datetime(2031, 5, 6, 8, 30, tzinfo=dt.UTC)
    appointment = make.appointment(start=start)
    (confirmation,) = [
        m for m in schedule_booking_messages(appointment) if m.kind == "booking_confirmation"
    ]
    rendered = render_message(confirmation)
    (name, content, mimetype) = rendered.attachments[0]
    assert (name, mimetype) == ("appointment.ics", "text/calendar")
    assert b"DTSTART:20310506T083000Z" in content.replace(b";VALUE=DATE-TIME", b"")
    assert f"appointment-{appointment.pk}@mesocare".encode() in content
    assert "10:30" in rendered.text  # shown in Rome time


def test_moving_an_appointment_replaces_its_pending_messages(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    old = {m.kind: m for m in schedule_booking_messages(appointment)}
    OutboxMessage.objects.filter(pk=old["booking_confirmation"].pk).update(status="sent")
    appointment.start += dt.timedelta(days=3)
    appointment.end += dt.timedelta(days=3)
    appointment.save()
    new = {m.kind: m for m in reschedule_for_appointment(appointment)}
    for kind in ("pre_care", "reminder"):
        old[kind].refresh_from_db()
        assert old[kind].status == MessageStatus.CANCELLED
        assert old[kind].last_error == "appointment moved"
    assert new["reminder"].due_at == appointment.start - dt.timedelta(hours=24)
    assert new["reminder"].status == MessageStatus.PENDING
    assert new["booking_confirmation"].payload["rescheduled"] is True
    pending = OutboxMessage.objects.filter(appointment_id=appointment.pk, status="pending")
    assert pending.count() == 3


def test_cancelling_an_appointment_cancels_its_pending_messages(clinic, make):
    appointment = make.appointment(plan=make.plan(), index=1)
    schedule_booking_messages(appointment)
    sent = OutboxMessage.objects.get(kind="booking_confirmation")
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent")
    assert cancel_for_appointment(appointment) == 2
    assert kinds() == [
        ("booking_confirmation", "sent"),
        ("pre_care", "cancelled"),
        ("reminder", "cancelled"),
    ]


def test_scheduling_signals_drive_the_outbox(clinic, make):
    actor = clinic.actor("reception")
    appointment = make.appointment(plan=make.plan(), index=1)
    appointments_booked.send(sender=type(appointment), actor=actor, appointments=[appointment])
    assert OutboxMessage.objects.filter(status="pending").count() == 3
    previous = appointment.start
    appointment.start += dt.timedelta(days=1)
    appointment.end += dt.timedelta(days=1)
    appointment.save()
    appointment_moved.send(
        sender=type(appointment),
        actor=actor,
        appointment=appointment,
        previous_start=previous,
        previous_end=appointment.end,
    )
    reminder = OutboxMessage.objects.get(kind="reminder", status="pending")
    assert reminder.due_at == appointment.start - dt.timedelta(hours=24)
    appointment.status = "cancelled"
    appointment.save()
    appointment_status_changed.send(
        sender=type(appointment), actor=actor, appointment=appointment, previous_status="booked"
    )
    assert not OutboxMessage.objects.filter(status="pending").exists()


def test_signing_a_session_schedules_aftercare_and_check_ins(clinic, make, journal):
    plan = make.plan()
    signed = timezone.now()
    session = make.session(plan=plan, signed_at=signed)  # post_save of the signing
    messages = {m.kind: m for m in OutboxMessage.objects.filter(session_id=session.pk)}
    assert set(messages) == {"aftercare", "check_in_24h", "check_in_72h"}
    assert messages["aftercare"].due_at == signed
    assert messages["check_in_24h"].due_at == signed + dt.timedelta(hours=24)
    assert messages["check_in_72h"].due_at == signed + dt.timedelta(hours=72)
    aftercare = render_message(messages["aftercare"])
    assert "Arnica" in aftercare.text or "arnica" in aftercare.text
    assert "/p/check-in/" in render_message(messages["check_in_24h"]).sms
    assert schedule_aftercare(session)  # idempotent
    assert OutboxMessage.objects.filter(session_id=session.pk).count() == 3


def test_an_unsigned_session_schedules_nothing(clinic, make):
    make.session(plan=make.plan())
    assert not OutboxMessage.objects.exists()


def test_completing_a_plan_schedules_the_maintenance_recall(clinic, make, journal):
    plan = make.plan()
    done = timezone.localdate()
    change_status(clinic.actor("practitioner"), plan, "complete", on=done)
    recall = OutboxMessage.objects.get(kind=MessageKind.MAINTENANCE_RECALL)
    due_local = timezone.localtime(recall.due_at, clinic.location.tz)
    assert due_local.date() == done + dt.timedelta(days=plan.maintenance_interval_days)
    assert due_local.hour == 10
    assert "/p/recall/" in render_message(recall).text
    plan.refresh_from_db()
    assert schedule_maintenance_recall(plan).pk == recall.pk


def test_a_protocol_without_maintenance_schedules_no_recall(clinic, make):
    plan = make.plan(maintenance_due_on=None)
    plan.maintenance_interval_days = None
    plan.completed_on = timezone.localdate()
    assert schedule_maintenance_recall(plan) is None
