"""Payments (recorded, not processed), refunds, the patient's balance and credit.

A patient's balance is Σ invoices − Σ payments − Σ credit notes (payments are signed: a refund
is a negative payment). A negative balance is the patient's credit (an overpayment or a paid
deposit not yet used), which pays their next invoice. Which invoices are settled follows from
the balance: the oldest invoices are settled first (`open_invoices`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record, record_list_read
from mesocare.billing.choices import DepositStatus, PaymentMethod
from mesocare.billing.models import CreditNote, Deposit, Invoice, Payment, PriceItem
from mesocare.billing.services.common import amount_in, currency_code, lock_patient, missing
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.core import money
from mesocare.errors import Conflict, Invalid
from mesocare.patients.models import Patient

ZERO = Decimal(0)


@dataclass(frozen=True)
class Balance:
    currency: str
    invoiced: Decimal
    paid: Decimal
    credited: Decimal

    @property
    def balance(self) -> Decimal:
        """What the patient owes (negative: what the clinic owes them, their credit)."""
        return self.invoiced - self.paid - self.credited

    @property
    def credit(self) -> Decimal:
        return max(ZERO, -self.balance)

    @property
    def due(self) -> Decimal:
        return max(ZERO, self.balance)


def account_currency(org_id: int, patient_id: int) -> str:
    """The currency of the patient's account: that of their invoices, else of the clinic's
    price list, else euro."""
    for source in (
        Invoice.objects.filter(organization_id=org_id, patient_id=patient_id),
        Payment.objects.filter(organization_id=org_id, patient_id=patient_id),
        PriceItem.objects.filter(organization_id=org_id, active=True),
    ):
        code = source.order_by("id").values_list("currency", flat=True).first()
        if code:
            return str(code)
    return "EUR"


def balance_of(org_id: int, patient_id: int) -> Balance:
    """Three aggregate queries, whatever the number of documents."""

    currency = account_currency(org_id, patient_id)

    def total(qs: models.QuerySet[Any], field: str) -> Decimal:
        value = qs.filter(organization_id=org_id, patient_id=patient_id).aggregate(s=Sum(field))
        # SQLite returns a sum unscaled; the account's amounts are in its minor units.
        return money.round_money(value["s"] or ZERO, currency)

    return Balance(
        currency=currency,
        invoiced=total(Invoice.objects.all(), "gross_total"),
        paid=total(Payment.objects.all(), "amount"),
        credited=total(CreditNote.objects.all(), "gross_total"),
    )


def open_invoices(org_id: int, patient_id: int) -> dict[int, Decimal]:
    """What is still due on each invoice. A payment taken against an invoice and the invoice's
    credit notes settle that invoice first; everything else the patient paid (payments on
    account, paid deposits, what exceeded an invoice, less refunds) settles the oldest open
    invoices. Fully settled invoices are left out; the amounts add up to `balance_of().due`."""
    mine = {"organization_id": org_id, "patient_id": patient_id}
    invoices = list(
        Invoice.objects.filter(**mine).order_by("issued_at", "id").values_list("pk", "gross_total")
    )
    direct: dict[int, Decimal] = {}
    for row in (
        Payment.objects.filter(**mine, invoice__isnull=False, amount__gt=0)
        .values("invoice_id")
        .annotate(s=Sum("amount"))
    ):
        direct[row["invoice_id"]] = direct.get(row["invoice_id"], ZERO) + row["s"]
    for row in (
        CreditNote.objects.filter(**mine).values("invoice_id").annotate(s=Sum("gross_total"))
    ):
        direct[row["invoice_id"]] = direct.get(row["invoice_id"], ZERO) + row["s"]
    b = balance_of(org_id, patient_id)
    pool = b.paid + b.credited
    left: list[tuple[int, Decimal]] = []
    for pk, gross in invoices:
        settled = min(gross, direct.get(pk, ZERO))
        pool -= settled
        if gross > settled:
            left.append((pk, gross - settled))
    due: dict[int, Decimal] = {}
    for pk, amount in left:
        settled = min(amount, max(ZERO, pool))
        pool -= settled
        if amount > settled:
            due[pk] = money.round_money(amount - settled, b.currency)
    return due


def _location(actor: Actor, location_id: Any) -> Location:
    try:
        return get_for_org(Location, actor.org_id, location_id)
    except Exception:
        raise missing("location_id", _("No location with id %s.") % location_id) from None


def _method(method: str) -> str:
    if method not in PaymentMethod.values:
        raise Invalid.field("method", _("Choose cash, card terminal, bank transfer or voucher."))
    return method


def _received_at(value: dt.datetime | None) -> dt.datetime:
    now = timezone.now()
    if value is None:
        return now
    if timezone.is_naive(value):
        raise Invalid.field("received_at", _("Give the time with its UTC offset."))
    if value > now + dt.timedelta(minutes=5):
        raise Invalid.field("received_at", _("A payment cannot be recorded in the future."))
    return value


def _same_currency(currency: Any, expected: str) -> str:
    code = currency_code(currency or expected)
    if code != expected:
        raise Invalid.field(
            "currency",
            _("This account is kept in %(expected)s; a payment in %(code)s cannot be recorded.")
            % {"expected": expected, "code": code},
            code="currency_mismatch",
        )
    return code


@transaction.atomic
def record_payment(
    actor: Actor,
    *,
    amount: Any,
    method: str,
    location_id: Any,
    patient_id: Any = None,
    invoice_id: Any = None,
    deposit_id: Any = None,
    currency: str | None = None,
    reference: str = "",
    received_at: dt.datetime | None = None,
    channel: str = "api",
) -> Payment:
    """Money received. Against an invoice (a partial payment, or more: the excess is the
    patient's credit), a deposit (the exact deposit amount), or the patient's account."""
    actor.require(Perm.BILLING_CHARGE)
    invoice = deposit = None
    if invoice_id is not None:
        invoice = Invoice.objects.for_org(actor.org_id).filter(pk=invoice_id).first()
        if invoice is None:
            raise missing("invoice_id", _("No invoice with id %s.") % invoice_id)
    if deposit_id is not None:
        deposit = Deposit.objects.for_org(actor.org_id).filter(pk=deposit_id).first()
        if deposit is None:
            raise missing("deposit_id", _("No deposit with id %s.") % deposit_id)
    owner_id = invoice.patient_id if invoice else deposit.patient_id if deposit else None
    if patient_id is not None and owner_id is not None and int(patient_id) != owner_id:
        raise Invalid.field(
            "patient_id",
            _("The invoice or deposit belongs to another patient."),
            code="wrong_patient",
        )
    patient_pk = owner_id if owner_id is not None else patient_id
    if patient_pk is None:
        raise Invalid.field("patient_id", _("Name the patient, the invoice or the deposit."))
    try:
        patient = lock_patient(actor.org_id, patient_pk)
    except Exception:
        raise missing("patient_id", _("No patient with id %s.") % patient_pk) from None
    expected = (
        invoice.currency
        if invoice
        else deposit.currency
        if deposit
        else account_currency(actor.org_id, patient.pk)
    )
    code = _same_currency(currency, expected)
    value = amount_in(amount, code, allow_zero=False)
    location = _location(actor, location_id)
    if deposit is not None:
        deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
        if deposit.status != DepositStatus.DUE:
            raise Conflict(
                "deposit_not_due", _("This deposit is not due."), status_now=deposit.status
            )
        if value != deposit.amount:
            raise Invalid.field(
                "amount",
                _("The deposit is %(amount)s.") % {"amount": deposit.amount},
                code="deposit_amount",
            )
    payment = Payment.objects.create(
        organization_id=actor.org_id,
        patient=patient,
        location=location,
        invoice=invoice,
        deposit=deposit,
        method=_method(method),
        reference=(reference or "").strip()[:100],
        amount=value,
        currency=code,
        received_at=_received_at(received_at),
        received_by=actor.user,
    )
    if deposit is not None:
        deposit.status = DepositStatus.PAID
        deposit.status_changed_at = timezone.now()
        deposit.save(update_fields=["status", "status_changed_at"])
    record(
        actor,
        AuditAction.CREATE,
        payment,
        patient_id=patient.pk,
        summary=f"payment {value} {code} by {method}"
        + (f" on invoice {invoice.display_number}" if invoice else "")
        + (f" for deposit {deposit.pk}" if deposit else ""),
        changes={"amount": [None, str(value)]},
        channel=channel,
    )
    return payment


@transaction.atomic
def record_refund(
    actor: Actor,
    *,
    amount: Any,
    method: str,
    location_id: Any,
    credit_note_id: Any = None,
    deposit_id: Any = None,
    currency: str | None = None,
    reference: str = "",
    channel: str = "api",
) -> Payment:
    """Money paid back, as a negative payment: against a credit note (never more than the
    credit note less earlier refunds of it), or a paid deposit that was not used (all of it).
    Never more than the patient's credit."""
    actor.require(Perm.BILLING_CHARGE)
    note = deposit = None
    if credit_note_id is not None:
        note = CreditNote.objects.for_org(actor.org_id).filter(pk=credit_note_id).first()
        if note is None:
            raise missing("credit_note_id", _("No credit note with id %s.") % credit_note_id)
        patient_id = note.patient_id
        expected = note.currency
    elif deposit_id is not None:
        deposit = Deposit.objects.for_org(actor.org_id).filter(pk=deposit_id).first()
        if deposit is None:
            raise missing("deposit_id", _("No deposit with id %s.") % deposit_id)
        patient_id = deposit.patient_id
        expected = deposit.currency
    else:
        raise Invalid.field("credit_note_id", _("A refund pays back a credit note or a deposit."))
    patient = lock_patient(actor.org_id, patient_id)
    code = _same_currency(currency, expected)
    value = amount_in(amount, code, allow_zero=False)
    location = _location(actor, location_id)
    if note is not None:
        refunded = -money.round_money(
            Payment.objects.filter(credit_note=note).aggregate(s=Sum("amount"))["s"] or 0, code
        )
        if value > note.gross_total - refunded:
            raise Invalid.field(
                "amount",
                _("Only %(left)s of this credit note is left to refund.")
                % {"left": note.gross_total - refunded},
                code="refund_exceeds_credit_note",
            )
    if deposit is not None:
        deposit = Deposit.objects.select_for_update().get(pk=deposit.pk)
        if deposit.status != DepositStatus.PAID:
            raise Conflict(
                "deposit_not_refundable",
                _("Only a paid deposit that was not used can be refunded."),
                status_now=deposit.status,
            )
        if value != deposit.amount:
            raise Invalid.field(
                "amount",
                _("The deposit is %(amount)s.") % {"amount": deposit.amount},
                code="deposit_amount",
            )
    credit = balance_of(actor.org_id, patient.pk).credit
    if value > credit:
        raise Invalid.field(
            "amount",
            _("The patient's credit is %(credit)s; a refund cannot exceed it.")
            % {"credit": credit},
            code="refund_exceeds_credit",
        )
    payment = Payment.objects.create(
        organization_id=actor.org_id,
        patient=patient,
        location=location,
        credit_note=note,
        deposit=deposit,
        method=_method(method),
        reference=(reference or "").strip()[:100],
        amount=-value,
        currency=code,
        received_by=actor.user,
    )
    if deposit is not None:
        deposit.status = DepositStatus.REFUNDED
        deposit.status_changed_at = timezone.now()
        deposit.save(update_fields=["status", "status_changed_at"])
    record(
        actor,
        AuditAction.CREATE,
        payment,
        patient_id=patient.pk,
        summary=f"refund {value} {code} by {method}",
        changes={"amount": [None, str(-value)]},
        channel=channel,
    )
    return payment


def list_payments(
    actor: Actor,
    *,
    patient_id: int | None = None,
    invoice_id: int | None = None,
    location_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    limit: int = 100,
    offset: int = 0,
    channel: str = "api",
) -> list[Payment]:
    actor.require(Perm.BILLING_VIEW)
    qs = Payment.objects.for_org(actor.org_id).select_related("invoice", "credit_note", "location")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if invoice_id is not None:
        qs = qs.filter(invoice_id=invoice_id)
    if location_id is not None:
        qs = qs.filter(location_id=location_id)
    if date_from is not None:
        qs = qs.filter(received_at__date__gte=date_from)
    if date_to is not None:
        qs = qs.filter(received_at__date__lte=date_to)
    rows = list(qs.order_by("-received_at", "-id")[offset : offset + limit])
    record_list_read(
        actor,
        "billing.payment",
        [r.patient_id for r in rows],
        patient_id=patient_id,
        summary="payment list",
        channel=channel,
    )
    return rows


def patient_account(actor: Actor, patient_id: Any, *, channel: str = "api") -> dict[str, Any]:
    """The patient's account: balance, credit and what is still due on each invoice."""
    actor.require(Perm.BILLING_VIEW)
    patient = get_for_org(Patient, actor.org_id, patient_id)
    b = balance_of(actor.org_id, patient.pk)
    record(
        actor,
        AuditAction.READ,
        patient,
        patient_id=patient.pk,
        summary="billing account",
        channel=channel,
    )
    return {"patient_id": patient.pk, "balance": b, "open": open_invoices(actor.org_id, patient.pk)}
