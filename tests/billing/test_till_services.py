"""The till at service level: worked examples of selling a course, signing sessions against it,
visit and retail invoices, payments, credit notes, refunds and the course's cancellation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.billing.models import Invoice, PackageConsumption, Payment
from mesocare.billing.services import invoicing, packages, payments
from mesocare.billing.services.invoicing import CreditRequest, ItemRequest
from mesocare.errors import Conflict, Forbidden, Invalid, NotFound

pytestmark = pytest.mark.django_db


def test_selling_a_course_issues_its_invoice_and_signing_uses_one_session(till: Any) -> None:
    package = till.sell(instalments=3)
    invoice = package.invoice
    assert invoice.kind == "package" and invoice.gross_total == Decimal("600.00")
    assert invoice.number == 1 and invoice.series == "A"
    assert packages.instalment_plan(package) == [Decimal("200.00")] * 3

    session = till.signed_session()
    package.refresh_from_db()
    assert package.sessions_used == 1
    assert PackageConsumption.objects.get(session=session).package == package

    visit = invoicing.issue_visit_invoice(till.clinic.actor("reception"), session_id=session.pk)
    line = visit.lines.get()
    assert line.unit_price == 0 and line.package_id == package.pk
    assert visit.gross_total == 0 and visit.number == 2


def test_a_session_without_package_is_invoiced_at_the_price_it_was_issued_at(till: Any) -> None:
    session = till.signed_session()
    reception = till.clinic.actor("reception")
    invoice = invoicing.issue_visit_invoice(
        reception, session_id=session.pk, items=[ItemRequest(till.addon.pk, Decimal(1))]
    )
    assert [line.net_amount for line in invoice.lines.order_by("position")] == [
        Decimal("120.00"),
        Decimal("10.00"),
    ]
    from mesocare.billing.services import prices

    prices.update_price_item(till.clinic.actor("admin"), till.session_item, {"amount": "130.00"})
    line = invoice.lines.order_by("position").first()
    line.refresh_from_db()
    assert line.unit_price == Decimal("120.00")
    with pytest.raises(Conflict):
        invoicing.issue_visit_invoice(reception, session_id=session.pk)


def test_retail_sale_with_vat_rounds_per_en16931(till: Any) -> None:
    invoice = invoicing.issue_retail_invoice(
        till.clinic.actor("reception"),
        patient_id=till.clinic.patient.pk,
        location_id=till.clinic.location.pk,
        items=[ItemRequest(till.product.pk, Decimal(3))],
    )
    # 3 × 24.59 = 73.77; VAT 22 % of 73.77 = 16.2294 → 16.23
    assert (invoice.net_total, invoice.tax_total, invoice.gross_total) == (
        Decimal("73.77"),
        Decimal("16.23"),
        Decimal("90.00"),
    )


def test_partial_payments_overpayment_becomes_credit_and_pays_the_next_invoice(till: Any) -> None:
    package = till.sell(instalments=3)
    reception = till.clinic.actor("reception")
    loc = till.clinic.location.pk
    pid = till.clinic.patient.pk
    payments.record_payment(
        reception,
        amount="200.00",
        method="card_terminal",
        location_id=loc,
        invoice_id=package.invoice_id,
    )
    assert payments.balance_of(till.clinic.org.pk, pid).balance == Decimal("400.00")
    payments.record_payment(
        reception, amount="450.00", method="cash", location_id=loc, invoice_id=package.invoice_id
    )
    b = payments.balance_of(till.clinic.org.pk, pid)
    assert b.balance == Decimal("-50.00") and b.credit == Decimal("50.00")
    assert payments.open_invoices(till.clinic.org.pk, pid) == {}
    retail = invoicing.issue_retail_invoice(
        reception, patient_id=pid, location_id=loc, items=[ItemRequest(till.product.pk, Decimal(3))]
    )
    assert payments.open_invoices(till.clinic.org.pk, pid) == {retail.pk: Decimal("40.00")}


def test_credit_note_cannot_exceed_the_invoice_and_refund_cannot_exceed_the_credit(
    till: Any,
) -> None:
    admin = till.clinic.actor("admin")
    reception = till.clinic.actor("reception")
    invoice = invoicing.issue_retail_invoice(
        reception,
        patient_id=till.clinic.patient.pk,
        location_id=till.clinic.location.pk,
        items=[ItemRequest(till.product.pk, Decimal(2))],
    )
    line = invoice.lines.get()
    with pytest.raises(Forbidden):
        invoicing.issue_credit_note(reception, invoice.pk, reason="wrong")
    with pytest.raises(Invalid) as exc:
        invoicing.issue_credit_note(
            admin, invoice.pk, reason="returned", lines=[CreditRequest(line.pk, Decimal(3))]
        )
    assert exc.value.code == "credit_exceeds_invoice"
    note = invoicing.issue_credit_note(
        admin, invoice.pk, reason="one returned", lines=[CreditRequest(line.pk, Decimal(1))]
    )
    assert note.gross_total == Decimal("30.00")  # 24.59 + 5.41
    # Not paid yet: no credit to refund.
    with pytest.raises(Invalid) as exc:
        payments.record_refund(
            reception,
            amount="30.00",
            method="cash",
            location_id=till.clinic.location.pk,
            credit_note_id=note.pk,
        )
    assert exc.value.code == "refund_exceeds_credit"
    payments.record_payment(
        reception,
        amount=str(invoice.gross_total),
        method="cash",
        location_id=till.clinic.location.pk,
        invoice_id=invoice.pk,
    )
    payments.record_refund(
        reception,
        amount="30.00",
        method="cash",
        location_id=till.clinic.location.pk,
        credit_note_id=note.pk,
    )
    assert payments.balance_of(till.clinic.org.pk, till.clinic.patient.pk).balance == 0
    with pytest.raises(Invalid):
        invoicing.issue_credit_note(
            admin, invoice.pk, reason="again", lines=[CreditRequest(line.pk, Decimal(2))]
        )


def test_cancelling_a_course_credits_the_unused_sessions_less_the_fee(till: Any) -> None:
    package = till.sell()
    till.signed_session()
    till.signed_session()
    admin = till.clinic.actor("admin")
    cancelled = packages.cancel_package(
        admin, till.clinic.patient.pk, package.pk, reason="moving abroad"
    )
    # 600 × 4/6 = 400, less the 30 fee = 370
    assert cancelled.status == "cancelled"
    assert cancelled.credit_note.gross_total == Decimal("370.00")
    with pytest.raises(Conflict):
        packages.cancel_package(admin, till.clinic.patient.pk, package.pk, reason="again")
    # A cancelled course is not used by the next signing.
    till.signed_session()
    package.refresh_from_db()
    assert package.sessions_used == 2


def test_payment_in_another_currency_or_for_another_patient_changes_nothing(
    till: Any, other_clinic: Any
) -> None:
    package = till.sell()
    reception = till.clinic.actor("reception")
    before = Payment.objects.count()
    with pytest.raises(Invalid) as exc:
        payments.record_payment(
            reception,
            amount="10.00",
            currency="USD",
            method="cash",
            location_id=till.clinic.location.pk,
            invoice_id=package.invoice_id,
        )
    assert exc.value.code == "currency_mismatch"
    with pytest.raises(Invalid):
        payments.record_payment(
            reception,
            amount="-10.00",
            method="cash",
            location_id=till.clinic.location.pk,
            invoice_id=package.invoice_id,
        )
    with pytest.raises(Invalid):
        payments.record_payment(
            reception,
            amount="10.001",
            method="cash",
            location_id=till.clinic.location.pk,
            invoice_id=package.invoice_id,
        )
    with pytest.raises(Invalid) as exc:
        payments.record_payment(
            reception,
            amount="10.00",
            method="cash",
            location_id=till.clinic.location.pk,
            invoice_id=package.invoice_id,
            patient_id=other_clinic.patient.pk,
        )
    with pytest.raises(NotFound):
        payments.record_payment(
            other_clinic.actor("reception"),
            amount="10.00",
            method="cash",
            location_id=other_clinic.location.pk,
            invoice_id=package.invoice_id,
        )
    assert Payment.objects.count() == before


def test_invoices_are_immutable_and_audited(till: Any) -> None:
    package = till.sell()
    invoice = Invoice.objects.get(pk=package.invoice_id)
    invoice.note = "changed"
    with pytest.raises(Conflict):
        invoice.save()
    with pytest.raises(Conflict):
        invoice.delete()
    assert AuditEvent.objects.filter(
        object_type="billing.invoice", object_id=str(invoice.pk)
    ).exists()


def test_signing_twice_uses_one_package_session(till: Any) -> None:
    from mesocare.charting.services import sessions

    package = till.sell()
    session = till.signed_session()
    with pytest.raises(Conflict):
        sessions.sign_session(till.clinic.actor("practitioner"), session)
    assert (
        packages.consume_for_signed_session(till.clinic.actor("admin"), session).package == package
    )
    package.refresh_from_db()
    assert package.sessions_used == 1
    assert PackageConsumption.objects.filter(package=package).count() == 1
