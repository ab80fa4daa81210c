"""The public API of `notify` for other apps. Import from here, nothing else.

Every function writes to the outbox *inside the caller's transaction* (call it from within
your service's `transaction.atomic`): the messages exist exactly when your change commits.
All are idempotent, so calling one twice (or from a service and a signal) is harmless.

    enqueue(actor_or_org, patient, kind, *, due_at, payload, idempotency_key,
            related={"appointment": id, "plan": id, "session": id}, template=None, tz=None)
        -> OutboxMessage | None
        One message. `kind` is a `MessageKind` value; `payload` is the template context
        (JSON); returns None when the patient receives no messages (preferred channel "none"
        or no address). A second call with the same key returns the first row.

    enqueue_many(actor_or_org, [NewMessage(patient, kind, due_at, payload, idempotency_key,
                 related=None, template=None, tz=None), ...]) -> Enqueued
        Many messages in one statement (INSERT … ON CONFLICT DO NOTHING on the key), with
        `enqueue`'s rules checked for the whole batch first: one bad message raises
        `BatchRefused` naming each bad one, and nothing is written. `Enqueued.new` counts
        the rows written now; a key repeated or already in the outbox is written once.

    schedule_booking_messages(appointment) -> list[OutboxMessage]
        After booking: confirmation now (with .ics), pre-care message when a preparation
        starts more than 24 h ahead, reminder 24 h before with the protocol's pre-care and the
        pre-care confirmation link.
    schedule_course_messages(appointments) -> list[OutboxMessage]
        Several appointments booked together (a course): one confirmation listing every
        session (template `course_confirmation`, one .ics event per session), and each
        appointment's pre-care message and reminder; one appointment as above.
    reschedule_for_appointment(appointment) -> list[OutboxMessage]
        After moving an appointment (or any status change): cancels the pending messages made
        for the old time and schedules the new ones; a cancelled status cancels all.
    cancel_for_appointment(appointment) -> int
        After cancelling: pending messages of the appointment are cancelled.
    schedule_aftercare(session) -> list[OutboxMessage]
        After signing a treatment session: aftercare now (protocol's aftercare set), check-ins
        at +24 h and +72 h with a signed link to the side-effect form.
    schedule_maintenance_recall(plan) -> OutboxMessage | None
        After completing a plan: recall at completion + maintenance interval, 10:00 local.
    schedule_waitlist_offer(entry)
    schedule_recall_notice(patient, lot, *, treated_at)
    schedule_recall_notices(lot, [(patient, treated_at), ...]) -> Enqueued
        (inventory's "notify recipients": every recipient of a recalled lot in one batch)
        A freed slot offered to a waiting patient (scheduling's waitlist hook).

    Wiring (mesocare.notify.receivers, no edits in other apps): scheduling's
    `appointments_booked` / `appointment_moved` / `appointment_status_changed` /
    `waitlist_offer_made` signals,
    charting `TreatmentSession` post_save with `signed_at` set, plans `PlanEvent`
    post_save of kind "completed".

    Duck typing: appointment.{pk, patient, location, start, end, status, plan or
    planned_session.plan}; session.{pk, appointment, patient?, signed_at}; plan is
    `plans.TreatmentPlan`.

Staff actions: `retry_message(actor, message)`; alerts: `raise_alert(...)`,
`acknowledge_alert(actor, alert_id)`; delivery: `mesocare.notify.worker.deliver_due()`.
"""

from __future__ import annotations

from mesocare.notify.alerts import acknowledge_alert, failure_rate, open_alerts, raise_alert
from mesocare.notify.bulk import BatchRefused, Enqueued, NewMessage, enqueue_many
from mesocare.notify.outbox import enqueue, retry_message
from mesocare.notify.schedules import (
    cancel_for_appointment,
    reschedule_for_appointment,
    schedule_aftercare,
    schedule_booking_messages,
    schedule_course_messages,
    schedule_maintenance_recall,
    schedule_recall_notice,
    schedule_recall_notices,
    schedule_waitlist_offer,
)

__all__ = [
    "BatchRefused",
    "Enqueued",
    "NewMessage",
    "acknowledge_alert",
    "cancel_for_appointment",
    "enqueue",
    "enqueue_many",
    "failure_rate",
    "open_alerts",
    "raise_alert",
    "reschedule_for_appointment",
    "retry_message",
    "schedule_aftercare",
    "schedule_booking_messages",
    "schedule_course_messages",
    "schedule_maintenance_recall",
    "schedule_recall_notice",
    "schedule_recall_notices",
    "schedule_waitlist_offer",
]
