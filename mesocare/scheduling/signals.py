"""Signals other domains (reminders, charting) listen to. Sent inside the booking transaction,
so a receiver that writes (e.g. an outbox row) commits or rolls back with the booking."""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: actor, appointments (list[Appointment]), created_ids (frozenset[int]: those of them
# this transaction inserted; the others were moved; receivers treat an id missing from it
# as an appointment that may have had messages before)
appointments_booked = Signal()
# kwargs: actor, appointment, previous_start, previous_end
appointment_moved = Signal()
# kwargs: actor, appointment, previous_status
appointment_status_changed = Signal()
# kwargs: actor (None from the worker), entry (WaitlistEntry); a receiver returns whether it
# queued a message
waitlist_offer_made = Signal()
