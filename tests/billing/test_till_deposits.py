"""Deposits: asked for at booking (the scheduling domain's signal), paid at the desk, applied to
the visit's invoice, and on a late cancellation or a no-show forfeited per the cancellation
policy (its version recorded) or, on a timely cancellation, left as the patient's credit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from mesocare.billing.models import Deposit, Invoice
from mesocare.billing.services import invoicing, payments, prices
from mesocare.catalog.models import Protocol
from mesocare.plans.services import create_plan
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.appointments import cancel_appointment, mark_no_show
from mesocare.scheduling.signals import appointments_booked

pytestmark = pytest.mark.django_db


@pytest.fixture
def course(clinic: Any) -> Any:
    protocol = Protocol.objects.get(organization__isnull=True, code="striae_ha_silicon_linear")
    prices.create_price_item(
        clinic.actor("admin"),
        code="striae",
        name="Striae session",
        kind="session",
        amount="150.00",
        protocol_id=protocol.pk,
        exemption_reason="medical care",
        deposit_kind="amount",
        deposit_value="50.00",
    )
    prices.set_cancellation_policy(clinic.actor("admin"), late_cancel_hours=48)
    return create_plan(clinic.actor("admin"), clinic.patient, protocol=protocol)


def book(clinic: Any, plan: Any, start: dt.datetime) -> Appointment:
    with transaction.atomic():
        appointment = Appointment.objects.create(
            organization=clinic.org,
            location=clinic.location,
            practitioner=clinic.members["practitioner"],
            room=clinic.room,
            patient=clinic.patient,
            plan=plan,
            course_index=Appointment.objects.filter(plan=plan).count() + 1,
            start=start,
            end=start + dt.timedelta(minutes=45),
            created_by=clinic.user("reception"),
        )
        appointments_booked.send(
            sender=Appointment, actor=clinic.actor("reception"), appointments=[appointment]
        )
    return appointment


def pay_deposit(clinic: Any, deposit: Deposit) -> None:
    payments.record_payment(
        clinic.actor("reception"),
        amount="50.00",
        method="card_terminal",
        location_id=clinic.location.pk,
        deposit_id=deposit.pk,
    )


def test_booking_asks_a_deposit_and_the_paid_deposit_is_applied_to_the_visit(
    clinic: Any, course: Any
) -> None:
    appointment = book(clinic, course, timezone.now() + dt.timedelta(days=7))
    deposit = Deposit.objects.get(appointment=appointment)
    assert (deposit.amount, deposit.status) == (Decimal("50.00"), "due")
    pay_deposit(clinic, deposit)
    deposit.refresh_from_db()
    assert deposit.status == "paid"
    Appointment.objects.filter(pk=appointment.pk).update(status="checked_in")
    invoice = invoicing.issue_visit_invoice(
        clinic.actor("reception"), appointment_id=appointment.pk
    )
    assert (invoice.gross_total, invoice.prepaid, invoice.amount_due) == (
        Decimal("150.00"),
        Decimal("50.00"),
        Decimal("100.00"),
    )
    deposit.refresh_from_db()
    assert deposit.status == "applied" and deposit.invoice == invoice
    assert payments.balance_of(clinic.org.pk, clinic.patient.pk).balance == Decimal("100.00")


def test_no_show_forfeits_the_paid_deposit_with_the_policy_version(
    clinic: Any, course: Any
) -> None:
    appointment = book(clinic, course, timezone.now() - dt.timedelta(hours=1))
    deposit = Deposit.objects.get(appointment=appointment)
    pay_deposit(clinic, deposit)
    mark_no_show(clinic.actor("reception"), appointment)
    deposit.refresh_from_db()
    assert deposit.status == "forfeited"
    assert deposit.policy is not None and deposit.policy.version == 1
    fee = Invoice.objects.get(pk=deposit.invoice_id)
    assert fee.kind == "fee" and fee.gross_total == fee.prepaid == Decimal("50.00")
    assert fee.lines.get().tax_category == "O"
    # The clinic keeps the deposit; the patient owes nothing more and has no credit.
    assert payments.balance_of(clinic.org.pk, clinic.patient.pk).balance == 0


def test_late_cancellation_forfeits_a_timely_one_leaves_credit_to_refund(
    clinic: Any, course: Any
) -> None:
    late = book(clinic, course, timezone.now() + dt.timedelta(hours=5))
    pay_deposit(clinic, Deposit.objects.get(appointment=late))
    cancel_appointment(clinic.actor("reception"), late, "patient ill")
    assert Deposit.objects.get(appointment=late).status == "forfeited"

    timely = book(clinic, course, timezone.now() + dt.timedelta(days=10))
    deposit = Deposit.objects.get(appointment=timely)
    pay_deposit(clinic, deposit)
    cancel_appointment(clinic.actor("reception"), timely, "holiday")
    deposit.refresh_from_db()
    assert deposit.status == "paid"
    assert payments.balance_of(clinic.org.pk, clinic.patient.pk).credit == Decimal("50.00")
    payments.record_refund(
        clinic.actor("reception"),
        amount="50.00",
        method="card_terminal",
        location_id=clinic.location.pk,
        deposit_id=deposit.pk,
    )
    deposit.refresh_from_db()
    assert deposit.status == "refunded"
    assert payments.balance_of(clinic.org.pk, clinic.patient.pk).balance == 0


def test_an_unpaid_deposit_is_void_after_cancellation(clinic: Any, course: Any) -> None:
    appointment = book(clinic, course, timezone.now() + dt.timedelta(hours=2))
    cancel_appointment(clinic.actor("reception"), appointment, "changed mind")
    assert Deposit.objects.get(appointment=appointment).status == "void"
    assert not Invoice.objects.filter(organization=clinic.org).exists()


def test_a_patient_with_an_active_course_is_not_asked_for_a_deposit(
    clinic: Any, course: Any
) -> None:
    from mesocare.billing.services import packages

    offer = packages.create_offer(
        clinic.actor("admin"),
        name="Striae × 5",
        protocol_id=course.protocol_id,
        sessions=5,
        price="650.00",
        exemption_reason="medical care",
    )
    packages.sell_package(
        clinic.actor("reception"),
        patient_id=clinic.patient.pk,
        offer_id=offer.pk,
        location_id=clinic.location.pk,
    )
    appointment = book(clinic, course, timezone.now() + dt.timedelta(days=3))
    assert not Deposit.objects.filter(appointment=appointment).exists()
