"""The balance property: over any sequence of till operations (sales, payments, credit notes,
refunds, cancelled courses — including refused ones), a patient's balance is always
Σ invoices − Σ payments − Σ credit notes, a refused operation changes nothing, and what the
open invoices still ask for is exactly what the patient owes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesocare.billing.models import CreditNote, Invoice, Payment
from mesocare.billing.services import invoicing, packages, payments
from mesocare.billing.services.invoicing import CreditRequest, ItemRequest
from mesocare.errors import DomainError
from mesocare.patients.models import Patient

pytestmark = pytest.mark.django_db

cents = st.integers(min_value=1, max_value=80000).map(lambda n: Decimal(n) / 100)
operation = st.one_of(
    st.tuples(st.just("sell"), st.integers(1, 3)),
    st.tuples(st.just("retail"), st.integers(1, 4)),
    st.tuples(st.just("pay"), cents, st.sampled_from(["cash", "card_terminal", "voucher"])),
    st.tuples(st.just("pay_invoice"), cents, st.integers(0, 20)),
    st.tuples(st.just("credit"), st.integers(0, 20), st.integers(1, 4)),
    st.tuples(st.just("refund"), cents, st.integers(0, 20)),
    st.tuples(
        st.just("sign"),
    ),
    st.tuples(st.just("cancel"), st.integers(0, 5)),
)


def totals(org: int, patient: int) -> tuple[Decimal, Decimal, Decimal]:
    def s(model: Any, field: str) -> Decimal:
        return sum(
            (
                getattr(r, field)
                for r in model.objects.filter(organization_id=org, patient_id=patient)
            ),
            Decimal(0),
        )

    return s(Invoice, "gross_total"), s(Payment, "amount"), s(CreditNote, "gross_total")


def counts(org: int) -> tuple[int, int, int]:
    return (
        Invoice.objects.filter(organization_id=org).count(),
        Payment.objects.filter(organization_id=org).count(),
        CreditNote.objects.filter(organization_id=org).count(),
    )


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(ops=st.lists(operation, min_size=1, max_size=10))
def test_balance_is_invoices_less_payments_less_credit_notes(till: Any, ops: list[Any]) -> None:
    clinic = till.clinic
    org = clinic.org.pk
    n = Patient.objects.filter(organization=clinic.org).count()
    patient = Patient.objects.create(
        organization=clinic.org,
        given_name=f"P{n}",
        family_name="Prop",
        birth_date="1985-01-01",
        sex_at_birth="female",
    )
    reception, admin = clinic.actor("reception"), clinic.actor("admin")
    loc = clinic.location.pk
    for op in ops:
        before = counts(org)
        invoices = list(Invoice.objects.filter(patient=patient).order_by("id"))
        notes = list(CreditNote.objects.filter(patient=patient).order_by("id"))
        try:
            if op[0] == "sell":
                till.sell(patient, instalments=op[1])
            elif op[0] == "retail":
                invoicing.issue_retail_invoice(
                    reception,
                    patient_id=patient.pk,
                    location_id=loc,
                    items=[ItemRequest(till.product.pk, Decimal(op[1]))],
                )
            elif op[0] == "pay":
                payments.record_payment(
                    reception, amount=op[1], method=op[2], location_id=loc, patient_id=patient.pk
                )
            elif op[0] == "pay_invoice" and invoices:
                payments.record_payment(
                    reception,
                    amount=op[1],
                    method="cash",
                    location_id=loc,
                    invoice_id=invoices[op[2] % len(invoices)].pk,
                )
            elif op[0] == "credit" and invoices:
                invoice = invoices[op[1] % len(invoices)]
                line = invoice.lines.order_by("position").first()
                invoicing.issue_credit_note(
                    admin,
                    invoice.pk,
                    reason="correction",
                    lines=[CreditRequest(line.pk, Decimal(op[2]))],
                )
            elif op[0] == "refund" and notes:
                payments.record_refund(
                    reception,
                    amount=op[1],
                    method="cash",
                    location_id=loc,
                    credit_note_id=notes[op[2] % len(notes)].pk,
                )
            elif op[0] == "sign":
                till.signed_session(patient)
            elif op[0] == "cancel":
                sold = list(packages.patient_packages(admin, patient.pk))
                if sold:
                    packages.cancel_package(
                        admin, patient.pk, sold[op[1] % len(sold)].pk, reason="stop"
                    )
        except DomainError:
            assert counts(org) == before, f"refused {op} changed something"
        invoiced, paid, credited = totals(org, patient.pk)
        b = payments.balance_of(org, patient.pk)
        assert (b.invoiced, b.paid, b.credited) == (invoiced, paid, credited)
        assert b.balance == invoiced - paid - credited
        if op[0] == "refund" and counts(org) != before:
            assert b.balance <= 0, "a refund never pays back more than the patient's credit"
        assert sum(payments.open_invoices(org, patient.pk).values(), Decimal(0)) == b.due
        for invoice in Invoice.objects.filter(patient=patient):
            assert invoicing.creditable(invoice) >= 0
