"""Signal receivers that put messages in the outbox when other domains act.

They run inside the sender's transaction (scheduling sends its signals in the booking
transaction; `post_save` runs in the saving one), which is the outbox pattern.
"""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_save

from mesocare.charting.models import TreatmentSession
from mesocare.notify import schedules
from mesocare.plans.models import PlanEvent
from mesocare.scheduling import signals as scheduling_signals


def on_appointments_booked(
    sender: Any, appointments: list[Any], created_ids: frozenset[int] = frozenset(), **kwargs: Any
) -> None:
    # A course booked at once gets one confirmation listing its sessions (issue 18, bug 10).
    # Nothing reads the messages back: the booking has no use for them.
    schedules.enqueue_course_messages(appointments, created_ids=created_ids)


def on_appointment_moved(sender: Any, appointment: Any, **kwargs: Any) -> None:
    schedules.reschedule_for_appointment(appointment)


def on_appointment_status_changed(sender: Any, appointment: Any, **kwargs: Any) -> None:
    if str(appointment.status) in schedules.CANCELLED_APPOINTMENT:
        schedules.cancel_for_appointment(appointment)


def on_waitlist_offer_made(sender: Any, entry: Any, **kwargs: Any) -> bool:
    return schedules.schedule_waitlist_offer(entry) is not None


def on_session_saved(sender: Any, instance: Any, **kwargs: Any) -> None:
    # Signed sessions cannot be saved again, so this runs once: at signing.
    if getattr(instance, "signed_at", None) is not None:
        schedules.schedule_aftercare(instance)


def on_plan_event_saved(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    if created and instance.kind == "completed":
        schedules.schedule_maintenance_recall(instance.plan)


def connect() -> None:
    scheduling_signals.appointments_booked.connect(
        on_appointments_booked, dispatch_uid="notify.booked"
    )
    scheduling_signals.appointment_moved.connect(on_appointment_moved, dispatch_uid="notify.moved")
    scheduling_signals.appointment_status_changed.connect(
        on_appointment_status_changed, dispatch_uid="notify.status"
    )
    scheduling_signals.waitlist_offer_made.connect(
        on_waitlist_offer_made, dispatch_uid="notify.waitlist_offer"
    )
    post_save.connect(
        on_session_saved, sender=TreatmentSession, dispatch_uid="notify.session_signed"
    )
    post_save.connect(on_plan_event_saved, sender=PlanEvent, dispatch_uid="notify.plan_completed")
