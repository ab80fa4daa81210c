"""Cancelling a course sold as a package: the credit note for the unused part by the clinic's
policy (the version recorded) and the refund as a negative payment against it, in one go."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.billing.models import CreditNote, Payment
from mesocare.billing.services import packages, payments, prices
from mesocare.errors import Invalid

pytestmark = pytest.mark.django_db

D = Decimal


def test_cancel_with_refund_pays_back_the_unused_part_less_the_fee(till: Any) -> None:
    package = till.sell()
    reception, admin = till.clinic.actor("reception"), till.clinic.actor("admin")
    payments.record_payment(
        reception,
        amount="600.00",
        method="card_terminal",
        location_id=till.clinic.location.pk,
        invoice_id=package.invoice_id,
    )
    till.signed_session()
    till.signed_session()
    cancelled = packages.cancel_package(
        admin,
        till.clinic.patient.pk,
        package.pk,
        reason="moving abroad",
        refund_method="bank_transfer",
        reference="SEPA 77",
    )
    # 600 paid = 400 unused − 30 fee refunded (370) + 200 used + 30 fee kept
    assert cancelled.credit_note.gross_total == D("370.00")
    refund = cancelled.refund
    assert refund.amount == D("-370.00") and refund.credit_note_id == cancelled.credit_note_id
    assert refund.method == "bank_transfer" and refund.reference == "SEPA 77"
    balance = payments.balance_of(till.clinic.org.pk, till.clinic.patient.pk)
    assert balance.balance == 0 and balance.credit == 0
    event = AuditEvent.objects.filter(summary__startswith="cancelled package").get()
    assert event.changes["policy"] == [None, 1] and event.changes["refund_policy"][1] == "fee"


def test_a_new_policy_version_applies_to_the_next_cancellation(till: Any) -> None:
    admin = till.clinic.actor("admin")
    prices.set_cancellation_policy(admin, late_cancel_hours=48, refund_policy="pro_rata")
    package = till.sell()
    till.signed_session()
    cancelled = packages.cancel_package(admin, till.clinic.patient.pk, package.pk, reason="x")
    assert cancelled.credit_note.gross_total == D("500.00")  # 600 × 5/6, no fee
    event = AuditEvent.objects.filter(summary__startswith="cancelled package").get()
    assert event.changes["policy"] == [None, 2]


def test_a_part_paid_course_refunds_only_what_was_paid_beyond_the_fee(till: Any) -> None:
    package = till.sell(instalments=3)
    payments.record_payment(
        till.clinic.actor("reception"),
        amount="200.00",
        method="cash",
        location_id=till.clinic.location.pk,
        invoice_id=package.invoice_id,
    )
    cancelled = packages.cancel_package(
        till.clinic.actor("admin"),
        till.clinic.patient.pk,
        package.pk,
        reason="changed her mind",
        refund_method="cash",
    )
    # nothing used: 600 − 30 fee = 570 credited; of the 200 paid, the fee keeps 30
    assert cancelled.credit_note.gross_total == D("570.00")
    assert cancelled.refund.amount == D("-170.00")
    balance = payments.balance_of(till.clinic.org.pk, till.clinic.patient.pk)
    assert balance.balance == 0


def test_an_unpaid_course_is_credited_and_nothing_is_refunded(till: Any) -> None:
    package = till.sell()
    cancelled = packages.cancel_package(
        till.clinic.actor("admin"),
        till.clinic.patient.pk,
        package.pk,
        reason="changed her mind",
        refund_method="cash",
    )
    assert cancelled.refund is None and not Payment.objects.exists()
    # she owes the fee
    assert payments.balance_of(till.clinic.org.pk, till.clinic.patient.pk).due == D("30.00")


def test_a_bad_refund_method_changes_nothing(till: Any) -> None:
    package = till.sell()
    with pytest.raises(Invalid) as err:
        packages.cancel_package(
            till.clinic.actor("admin"),
            till.clinic.patient.pk,
            package.pk,
            reason="x",
            refund_method="bitcoin",
        )
    assert err.value.errors[0]["field"] == "refund_method"
    package.refresh_from_db()
    assert package.status == "active"
    assert not CreditNote.objects.exists() and not Payment.objects.exists()
