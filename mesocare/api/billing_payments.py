"""The till's payments, deposits, cancellation policy and the day's takings."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.billing_schemas import (
    DepositOut,
    DepositQuery,
    ExportQuery,
    PaymentIn,
    PaymentOut,
    PaymentQuery,
    PolicyIn,
    PolicyOut,
    TakingsOut,
    TakingsQuery,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.billing.models import (
    CancellationPolicy,
    Deposit,
    Payment,
)
from mesocare.billing.services import deposits, payments, prices, reports
from mesocare.clinics.permissions import Perm

router = Router(tags=["billing"])


# Payments -----------------------------------------------------------------------------------


def payment_out(p: Payment) -> dict[str, Any]:
    return {
        "id": p.pk,
        "patient_id": p.patient_id,
        "location_id": p.location_id,
        "invoice_id": p.invoice_id,
        "credit_note_id": p.credit_note_id,
        "deposit_id": p.deposit_id,
        "method": p.method,
        "reference": p.reference,
        "amount": p.amount,
        "currency": p.currency,
        "received_at": p.received_at,
    }


@router.post(
    "/payments",
    response={201: PaymentOut, **PROBLEM_RESPONSES},
    summary="Record a payment or a refund",
)
@requires(Perm.BILLING_CHARGE)
def record_payment(request: HttpRequest, payload: PaymentIn) -> Status:
    actor = actor_of(request)
    if payload.kind == "refund":
        payment = payments.record_refund(
            actor,
            amount=payload.amount,
            method=payload.method,
            location_id=payload.location_id,
            credit_note_id=payload.credit_note_id,
            deposit_id=payload.deposit_id,
            currency=payload.currency,
            reference=payload.reference,
        )
    else:
        payment = payments.record_payment(
            actor,
            amount=payload.amount,
            method=payload.method,
            location_id=payload.location_id,
            patient_id=payload.patient_id,
            invoice_id=payload.invoice_id,
            deposit_id=payload.deposit_id,
            currency=payload.currency,
            reference=payload.reference,
            received_at=payload.received_at,
        )
    return Status(201, payment_out(payment))


@router.get("/payments", response={200: list[PaymentOut], **PROBLEM_RESPONSES}, summary="Payments")
@requires(Perm.BILLING_VIEW)
def list_payments(request: HttpRequest, params: Query[PaymentQuery]) -> list[dict[str, Any]]:
    rows = payments.list_payments(
        actor_of(request),
        patient_id=params.patient,
        invoice_id=params.invoice,
        location_id=params.location,
        date_from=params.date_from,
        date_to=params.date_to,
        limit=params.limit,
        offset=params.offset,
    )
    return [payment_out(p) for p in rows]


# Deposits and the cancellation policy -------------------------------------------------------


def deposit_out(d: Deposit) -> dict[str, Any]:
    return {
        "id": d.pk,
        "appointment_id": d.appointment_id,
        "patient_id": d.patient_id,
        "item_id": d.item_id,
        "amount": d.amount,
        "currency": d.currency,
        "status": d.status,
        "policy_version": d.policy.version if d.policy else None,
        "invoice_id": d.invoice_id,
        "created_at": d.created_at,
    }


@router.get("/deposits", response={200: list[DepositOut], **PROBLEM_RESPONSES}, summary="Deposits")
@requires(Perm.BILLING_VIEW)
def list_deposits(request: HttpRequest, params: Query[DepositQuery]) -> list[dict[str, Any]]:
    rows = deposits.list_deposits(
        actor_of(request),
        patient_id=params.patient,
        status=params.status,
        limit=params.limit,
        offset=params.offset,
    )
    return [deposit_out(d) for d in rows]


def policy_out(p: CancellationPolicy) -> dict[str, Any]:
    return {
        "version": p.version,
        "late_cancel_hours": p.late_cancel_hours,
        "forfeit_on_no_show": p.forfeit_on_no_show,
        "forfeit_on_late_cancel": p.forfeit_on_late_cancel,
        "refund_policy": p.refund_policy,
        "fee_amount": p.fee_amount,
        "valid_from": p.valid_from,
    }


@router.get("/cancellation-policy", response={200: PolicyOut, **PROBLEM_RESPONSES})
@requires(Perm.BILLING_VIEW)
def get_policy(request: HttpRequest) -> dict[str, Any]:
    return policy_out(prices.get_policy(actor_of(request)))


@router.post(
    "/cancellation-policy",
    response={201: PolicyOut, **PROBLEM_RESPONSES},
    summary="A new version of the cancellation policy",
)
@requires(Perm.PRICE_MANAGE)
def set_policy(request: HttpRequest, payload: PolicyIn) -> Status:
    return Status(
        201, policy_out(prices.set_cancellation_policy(actor_of(request), **payload.dict()))
    )


# Reports ------------------------------------------------------------------------------------


@router.get(
    "/reports/takings",
    response={200: TakingsOut, **PROBLEM_RESPONSES},
    summary="The day's takings per location and payment method (Z report)",
)
@requires(Perm.BILLING_VIEW)
def takings(request: HttpRequest, params: Query[TakingsQuery]) -> dict[str, Any]:
    report = reports.takings(actor_of(request), params.date, location_id=params.location)
    return {
        "date": params.date,
        "locations": [
            {
                "location_id": loc.location_id,
                "location": loc.location,
                "timezone": loc.timezone,
                "currency": loc.currency,
                "methods": [
                    {
                        "method": m.method,
                        "count": m.count,
                        "received": m.received,
                        "refunded": m.refunded,
                        "net": m.net,
                    }
                    for m in loc.methods
                ],
                "total": loc.total,
                "invoices_issued": loc.invoices_issued,
                "invoiced_total": loc.invoiced_total,
            }
            for loc in report
        ],
    }


@router.get(
    "/reports/takings.csv",
    response={200: None, **PROBLEM_RESPONSES},
    summary="Invoices, credit notes and payments of a period, as CSV for the accountant",
)
@requires(Perm.BILLING_VIEW)
def takings_csv(request: HttpRequest, params: Query[ExportQuery]) -> HttpResponse:
    text = reports.export_csv(actor_of(request), params.date_from, params.date_to)
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    name = f"till-{params.date_from}-{params.date_to}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
