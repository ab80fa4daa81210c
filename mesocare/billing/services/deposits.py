"""Deposits: asked for at booking by the service's deposit rule, paid at the desk, applied to
the visit's invoice, forfeited on a late cancellation or a no-show per the cancellation policy
(the policy version is recorded on the deposit)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record, record_list_read
from mesocare.billing.choices import DepositStatus, InvoiceKind, PackageStatus, TaxCategory
from mesocare.billing.models import Deposit, PatientPackage, PriceItem
from mesocare.billing.services.invoicing import LineSpec, issue_invoice
from mesocare.billing.services.prices import current_policy, deposit_for, session_item
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.lib.local_time import format_datetime
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment

# Why a forfeited deposit carries no VAT: it compensates the clinic for the lost slot and pays
# for no service (CJEU C-277/05, Société thermale d'Eugénie-les-Bains, 18 July 2007).
FORFEIT_REASON = "Forfeited deposit: compensation outside the scope of VAT (CJEU C-277/05)"


def session_deposit(
    org_id: int, patient_id: int, protocol_id: int | None
) -> tuple[PriceItem, Decimal] | None:
    """The deposit one booked session of this protocol asks for (its price item and amount),
    or None: no session price or deposit rule, or an active package with sessions left pays
    for it already. Booking asks it (`ask_deposit`); online booking shows it before."""
    item = session_item(org_id, protocol_id)
    if item is None or protocol_id is None:
        return None
    amount = deposit_for(item)
    if not amount:
        return None
    if PatientPackage.objects.filter(
        organization_id=org_id,
        patient_id=patient_id,
        protocol_id=protocol_id,
        status=PackageStatus.ACTIVE,
        sessions_used__lt=models.F("sessions_total"),
    ).exists():
        return None
    return item, amount


def ask_deposit(actor: Actor, appointment: Appointment) -> Deposit | None:
    """At booking: the deposit the booked service asks for, unless the patient has an active
    package for its protocol (already paid) or the appointment has one already."""
    if appointment.plan_id is None:
        return None
    protocol_id = (
        TreatmentPlan.objects.filter(pk=appointment.plan_id)
        .values_list("protocol_id", flat=True)
        .first()
    )
    due = session_deposit(appointment.organization_id, appointment.patient_id, protocol_id)
    if due is None:
        return None
    item, amount = due
    deposit, created = Deposit.objects.get_or_create(
        appointment=appointment,
        defaults={
            "organization_id": appointment.organization_id,
            "patient_id": appointment.patient_id,
            "item": item,
            "amount": amount,
            "currency": item.currency,
            "policy": current_policy(appointment.organization_id),
        },
    )
    if created:
        record(
            actor,
            AuditAction.CREATE,
            deposit,
            patient_id=appointment.patient_id,
            summary=f"deposit {amount} {item.currency} due for appointment {appointment.pk}",
            channel="system",
        )
    return deposit


def _is_late(appointment: Appointment, hours: int, at: dt.datetime) -> bool:
    return appointment.start - at < dt.timedelta(hours=hours)


def settle_on_status(
    actor: Actor, appointment: Appointment, previous_status: str
) -> Deposit | None:
    """After a cancellation or a no-show (inside that transaction): a due deposit is no longer
    due; a paid one is forfeited when the policy says so — a fee invoice paid by the deposit —
    and otherwise stays the patient's credit, to be used or refunded."""
    if appointment.status not in (AppointmentStatus.CANCELLED, AppointmentStatus.NO_SHOW):
        return None
    deposit = Deposit.objects.select_for_update().filter(appointment_id=appointment.pk).first()
    if deposit is None:
        return None
    now = timezone.now()
    before = deposit.status
    if deposit.status == DepositStatus.DUE:
        deposit.status = DepositStatus.VOID
    elif deposit.status == DepositStatus.PAID:
        policy = current_policy(appointment.organization_id)
        forfeit = policy is not None and (
            (appointment.status == AppointmentStatus.NO_SHOW and policy.forfeit_on_no_show)
            or (
                appointment.status == AppointmentStatus.CANCELLED
                and policy.forfeit_on_late_cancel
                and _is_late(appointment, policy.late_cancel_hours, now)
            )
        )
        if not forfeit:
            return deposit
        assert policy is not None
        invoice = issue_invoice(
            actor,
            patient=appointment.patient,
            location=appointment.location,
            kind=InvoiceKind.FEE,
            currency=deposit.currency,
            specs=[
                LineSpec(
                    description=(
                        _("Forfeited deposit: missed appointment of %(when)s")
                        if appointment.status == AppointmentStatus.NO_SHOW
                        else _(
                            "Forfeited deposit: late cancellation of the appointment of %(when)s"
                        )
                    )
                    % {"when": format_datetime(appointment.start, appointment.location)},
                    quantity=Decimal(1),
                    unit_price=deposit.amount,
                    tax_category=TaxCategory.OUTSIDE,
                    tax_rate=Decimal(0),
                    exemption_reason=FORFEIT_REASON,
                )
            ],
            prepaid=deposit.amount,
            source_appointment=appointment,
            channel="system",
        )
        deposit.status = DepositStatus.FORFEITED
        deposit.policy = policy
        deposit.invoice = invoice
    else:
        return deposit
    deposit.status_changed_at = now
    deposit.save(update_fields=["status", "policy", "invoice", "status_changed_at"])
    record(
        actor,
        AuditAction.UPDATE,
        deposit,
        patient_id=deposit.patient_id,
        summary=f"deposit {before} → {deposit.status} (appointment {previous_status} → "
        f"{appointment.status})",
        changes={
            "status": [before, deposit.status],
            "policy_version": [None, deposit.policy.version if deposit.policy else None],
        },
        channel="system",
    )
    return deposit


def list_deposits(
    actor: Actor,
    *,
    patient_id: int | None = None,
    status: str | None = None,
    limit: int = 100,
    offset: int = 0,
    channel: str = "api",
) -> list[Deposit]:
    actor.require(Perm.BILLING_VIEW)
    qs = Deposit.objects.for_org(actor.org_id).select_related("appointment", "policy")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if status:
        qs = qs.filter(status=status)
    rows = list(qs.order_by("-created_at", "-id")[offset : offset + limit])
    record_list_read(
        actor,
        "billing.deposit",
        [r.patient_id for r in rows],
        patient_id=patient_id,
        summary="deposit list",
        channel=channel,
    )
    return rows


def deposit_of(org_id: int, appointment_id: Any) -> Deposit | None:
    return Deposit.objects.filter(organization_id=org_id, appointment_id=appointment_id).first()
