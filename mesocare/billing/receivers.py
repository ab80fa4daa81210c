"""Billing's receivers of the signals the scheduling domain declares (sent inside the booking
and status-change transactions, so what they write commits or rolls back with them)."""

from __future__ import annotations

from typing import Any

from django.dispatch import receiver

from mesocare.billing.services.deposits import ask_deposit, settle_on_status
from mesocare.scheduling.signals import appointment_status_changed, appointments_booked


@receiver(appointments_booked, dispatch_uid="billing.ask_deposit")
def _ask_deposits(sender: Any, actor: Any, appointments: Any, **kwargs: Any) -> None:
    for appointment in appointments:
        ask_deposit(actor, appointment)


@receiver(appointment_status_changed, dispatch_uid="billing.settle_deposit")
def _settle_deposit(
    sender: Any, actor: Any, appointment: Any, previous_status: str, **kwargs: Any
) -> None:
    settle_on_status(actor, appointment, previous_status)
