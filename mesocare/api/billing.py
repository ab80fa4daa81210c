"""The till over the API: prices, package offers, patients' packages, invoices and credit
notes, payments and refunds, deposits, the cancellation policy, the day's takings."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.billing_schemas import (
    AccountOut,
    CancelPackageIn,
    CreditNoteIn,
    CreditNoteOut,
    DepositOut,
    DepositQuery,
    ExportQuery,
    InvoiceIn,
    InvoiceOut,
    InvoiceQuery,
    OfferIn,
    OfferOut,
    OfferPatch,
    OfferRevision,
    PatientPackageOut,
    PaymentIn,
    PaymentOut,
    PaymentQuery,
    PolicyIn,
    PolicyOut,
    PriceIn,
    PriceOut,
    PricePatch,
    PriceQuery,
    SellIn,
    TakingsOut,
    TakingsQuery,
    XmlQuery,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.billing.models import (
    CancellationPolicy,
    CreditNote,
    Deposit,
    Invoice,
    PackageOffer,
    PatientPackage,
    Payment,
    PriceItem,
)
from mesocare.billing.services import deposits, invoicing, packages, payments, prices, reports
from mesocare.billing.services.invoicing import CreditRequest, ItemRequest
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.core import money
from mesocare.patients.models import Patient

router = Router(tags=["billing"])


# Prices -------------------------------------------------------------------------------------


def _amount(value: Any, currency: str) -> Decimal | None:
    """A database aggregate as the currency's minor units (SQLite returns it unscaled)."""
    return None if value is None else money.round_money(value, currency)


def price_out(item: PriceItem) -> dict[str, Any]:
    rule = getattr(item, "deposit_rule", None)
    return {
        "id": item.pk,
        "code": item.code,
        "name": item.name,
        "kind": item.kind,
        "protocol_id": item.protocol_id,
        "currency": item.currency,
        "amount": _amount(getattr(item, "current_amount", None), item.currency),
        "tax_category": item.tax_category,
        "tax_rate": item.tax_rate,
        "exemption_code": item.exemption_code,
        "exemption_reason": item.exemption_reason,
        "active": item.active,
        "deposit": {"kind": rule.kind, "value": rule.value} if rule else None,
        "versions": [{"amount": v.amount, "valid_from": v.valid_from} for v in item.versions.all()],
    }


@router.get("/prices", response={200: list[PriceOut], **PROBLEM_RESPONSES}, summary="Price list")
@requires(Perm.BILLING_VIEW)
def list_prices(request: HttpRequest, params: Query[PriceQuery]) -> list[dict[str, Any]]:
    return [price_out(i) for i in prices.list_prices(actor_of(request), active=params.active)]


@router.post("/prices", response={201: PriceOut, **PROBLEM_RESPONSES}, summary="Add a price")
@requires(Perm.PRICE_MANAGE)
def create_price(request: HttpRequest, payload: PriceIn) -> Status:
    actor = actor_of(request)
    item = prices.create_price_item(actor, **payload.dict())
    return Status(201, price_out(prices.get_price_item(actor, item.pk)))


@router.get("/prices/{item_id}", response={200: PriceOut, **PROBLEM_RESPONSES})
@requires(Perm.BILLING_VIEW)
def get_price(request: HttpRequest, item_id: int) -> dict[str, Any]:
    return price_out(prices.get_price_item(actor_of(request), item_id))


@router.patch(
    "/prices/{item_id}",
    response={200: PriceOut, **PROBLEM_RESPONSES},
    summary="Change a price item; a new amount is a new version",
)
@requires(Perm.PRICE_MANAGE)
def patch_price(request: HttpRequest, item_id: int, payload: PricePatch) -> dict[str, Any]:
    actor = actor_of(request)
    item = get_for_org(PriceItem, actor.org_id, item_id)
    return price_out(prices.update_price_item(actor, item, payload.dict(exclude_unset=True)))


# Package offers -----------------------------------------------------------------------------


def offer_out(offer: PackageOffer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "name": offer.name,
        "protocol_id": offer.protocol_id,
        "protocol_name": offer.protocol.name,
        "sessions": offer.sessions,
        "price": offer.price,
        "currency": offer.currency,
        "validity_days": offer.validity_days,
        "max_instalments": offer.max_instalments,
        "tax_category": offer.tax_category,
        "tax_rate": offer.tax_rate,
        "exemption_code": offer.exemption_code,
        "exemption_reason": offer.exemption_reason,
        "active": offer.active,
        "components": [
            {"item_id": c.item_id, "name": c.item.name, "quantity": c.quantity}
            for c in offer.components.all()
        ],
    }


@router.get(
    "/packages", response={200: list[OfferOut], **PROBLEM_RESPONSES}, summary="Package offers"
)
@requires(Perm.BILLING_VIEW)
def list_offers(request: HttpRequest, params: Query[PriceQuery]) -> list[dict[str, Any]]:
    return [offer_out(o) for o in packages.list_offers(actor_of(request), active=params.active)]


@router.post("/packages", response={201: OfferOut, **PROBLEM_RESPONSES}, summary="Offer a package")
@requires(Perm.PRICE_MANAGE)
def create_offer(request: HttpRequest, payload: OfferIn) -> Status:
    actor = actor_of(request)
    data = payload.dict()
    data["components"] = [c.dict() for c in payload.components]
    offer = packages.create_offer(actor, **data)
    return Status(201, offer_out(packages.get_offer(actor, offer.pk)))


@router.get("/packages/{offer_id}", response={200: OfferOut, **PROBLEM_RESPONSES})
@requires(Perm.BILLING_VIEW)
def get_offer(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    return offer_out(packages.get_offer(actor_of(request), offer_id))


@router.patch("/packages/{offer_id}", response={200: OfferOut, **PROBLEM_RESPONSES})
@requires(Perm.PRICE_MANAGE)
def patch_offer(request: HttpRequest, offer_id: int, payload: OfferPatch) -> dict[str, Any]:
    actor = actor_of(request)
    offer = get_for_org(PackageOffer, actor.org_id, offer_id)
    return offer_out(packages.update_offer(actor, offer, payload.dict(exclude_unset=True)))


@router.post(
    "/packages/{offer_id}/revise",
    response={201: OfferOut, **PROBLEM_RESPONSES},
    summary="A new version of a course offer (new price or sessions); the old one is withdrawn",
)
@requires(Perm.PRICE_MANAGE)
def revise_offer(request: HttpRequest, offer_id: int, payload: OfferRevision) -> Status:
    actor = actor_of(request)
    offer = get_for_org(PackageOffer, actor.org_id, offer_id)
    new = packages.revise_offer(actor, offer, payload.dict(exclude_none=True))
    return Status(201, offer_out(new))


# Patients' packages and account -------------------------------------------------------------


def package_out(p: PatientPackage) -> dict[str, Any]:
    return {
        "id": p.pk,
        "patient_id": p.patient_id,
        "offer_id": p.offer_id,
        "name": p.offer_snapshot.get("name", ""),
        "protocol_id": p.protocol_id,
        "protocol_name": p.protocol.name,
        "sessions_total": p.sessions_total,
        "sessions_used": p.sessions_used,
        "sessions_left": p.sessions_left,
        "price": p.price,
        "currency": p.currency,
        "instalments": packages.instalment_plan(p),
        "sold_at": p.sold_at,
        "expires_on": p.expires_on,
        "status": packages.effective_status(p),
        "invoice_id": p.invoice_id,
        "credit_note_id": p.credit_note_id,
        "cancelled_at": p.cancelled_at,
        "services": [
            {
                "item_id": a.item_id,
                "name": a.name,
                "paid": a.quantity_total,
                "used": a.quantity_used,
                "left": a.quantity_left,
            }
            for a in p.allowances.all()
        ],
    }


@router.get(
    "/patients/{patient_id}/packages",
    response={200: list[PatientPackageOut], **PROBLEM_RESPONSES},
    summary="A patient's packages: sessions paid, used and left",
)
@requires(Perm.BILLING_VIEW)
def list_patient_packages(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    return [package_out(p) for p in packages.patient_packages(actor_of(request), patient_id)]


@router.post(
    "/patients/{patient_id}/packages",
    response={201: PatientPackageOut, **PROBLEM_RESPONSES},
    summary="Sell a package (issues its invoice)",
)
@requires(Perm.BILLING_CHARGE)
def sell_package(request: HttpRequest, patient_id: int, payload: SellIn) -> Status:
    actor = actor_of(request)
    get_for_org(Patient, actor.org_id, patient_id)
    package = packages.sell_package(actor, patient_id=patient_id, **payload.dict())
    fresh = packages.package_queryset(actor.org_id).get(pk=package.pk)
    return Status(201, package_out(fresh))


@router.post(
    "/patients/{patient_id}/packages/{package_id}/cancel",
    response={200: PatientPackageOut, **PROBLEM_RESPONSES},
    summary="Cancel a course: a credit note for the unused sessions by the clinic's policy",
)
@requires(Perm.CREDIT_ISSUE)
def cancel_package(
    request: HttpRequest, patient_id: int, package_id: int, payload: CancelPackageIn
) -> dict[str, Any]:
    actor = actor_of(request)
    package = packages.cancel_package(actor, patient_id, package_id, **payload.dict())
    out = package_out(packages.package_queryset(actor.org_id).get(pk=package.pk))
    refund = getattr(package, "refund", None)
    out["refund_payment_id"] = refund.pk if refund is not None else None
    return out


@router.get(
    "/patients/{patient_id}/account",
    response={200: AccountOut, **PROBLEM_RESPONSES},
    summary="A patient's balance, credit and open invoices",
)
@requires(Perm.BILLING_VIEW)
def patient_account(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    account = payments.patient_account(actor_of(request), patient_id)
    b = account["balance"]
    return {
        "patient_id": account["patient_id"],
        "currency": b.currency,
        "invoiced": b.invoiced,
        "paid": b.paid,
        "credited": b.credited,
        "balance": b.balance,
        "credit": b.credit,
        "open_invoices": {str(k): v for k, v in account["open"].items()},
    }


# Invoices and credit notes ------------------------------------------------------------------


def invoice_out(inv: Invoice) -> dict[str, Any]:
    notes = list(inv.credit_notes.all())
    return {
        "id": inv.pk,
        "number": inv.display_number,
        "series": inv.series,
        "year": inv.year,
        "sequence": inv.number,
        "kind": inv.kind,
        "status": inv.status,
        "issued_at": inv.issued_at,
        "issue_date": inv.issue_date,
        "patient_id": inv.patient_id,
        "patient_name": inv.buyer.get("name", ""),
        "location_id": inv.location_id,
        "currency": inv.currency,
        "net_total": inv.net_total,
        "tax_total": inv.tax_total,
        "gross_total": inv.gross_total,
        "prepaid": inv.prepaid,
        "amount_due": inv.amount_due,
        "credited": sum((n.gross_total for n in notes), Decimal(0)),
        "source_session_id": inv.source_session_id,
        "source_appointment_id": inv.source_appointment_id,
        "source_package_id": inv.source_package_id,
        "lines": [
            {
                "id": line.pk,
                "position": line.position,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "net_amount": line.net_amount,
                "tax_category": line.tax_category,
                "tax_rate": line.tax_rate,
                "exemption_code": line.exemption_code,
                "exemption_reason": line.exemption_reason,
                "item_id": line.item_id,
                "package_id": line.package_id,
            }
            for line in inv.lines.all()
        ],
        "credit_notes": [n.pk for n in notes],
    }


@router.post(
    "/invoices", response={201: InvoiceOut, **PROBLEM_RESPONSES}, summary="Issue an invoice"
)
@requires(Perm.BILLING_CHARGE)
def issue_invoice(request: HttpRequest, payload: InvoiceIn) -> Status:
    actor = actor_of(request)
    items = [ItemRequest(i.item_id, i.quantity) for i in payload.items]
    if payload.kind == "visit":
        invoice = invoicing.issue_visit_invoice(
            actor,
            session_id=payload.session_id,
            appointment_id=payload.appointment_id if payload.session_id is None else None,
            items=items,
            series=payload.series,
        )
    else:
        invoice = invoicing.issue_retail_invoice(
            actor,
            patient_id=payload.patient_id,
            location_id=payload.location_id,
            items=items,
            series=payload.series,
        )
    fresh = invoicing.invoice_queryset(actor.org_id).get(pk=invoice.pk)
    return Status(201, invoice_out(fresh))


@router.get("/invoices", response={200: list[InvoiceOut], **PROBLEM_RESPONSES}, summary="Invoices")
@requires(Perm.BILLING_VIEW)
def list_invoices(request: HttpRequest, params: Query[InvoiceQuery]) -> list[dict[str, Any]]:
    rows = invoicing.list_invoices(
        actor_of(request),
        patient_id=params.patient,
        date_from=params.date_from,
        date_to=params.date_to,
        kind=params.kind,
        limit=params.limit,
        offset=params.offset,
    )
    return [invoice_out(i) for i in rows]


@router.get("/invoices/{invoice_id}", response={200: InvoiceOut, **PROBLEM_RESPONSES})
@requires(Perm.BILLING_VIEW)
def get_invoice(request: HttpRequest, invoice_id: int) -> dict[str, Any]:
    return invoice_out(invoicing.get_invoice(actor_of(request), invoice_id))


@router.get(
    "/invoices/{invoice_id}/pdf",
    response={200: None, **PROBLEM_RESPONSES},
    summary="The invoice as PDF/A-3 with its EN 16931 XML embedded (Factur-X)",
)
@requires(Perm.BILLING_VIEW)
def invoice_pdf(request: HttpRequest, invoice_id: int) -> HttpResponse:
    from mesocare.billing import documents

    invoice = invoicing.get_invoice(actor_of(request), invoice_id)
    response = HttpResponse(documents.invoice_pdf(invoice), content_type="application/pdf")
    name = invoice.display_number.replace("/", "-")
    response["Content-Disposition"] = f'attachment; filename="invoice-{name}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response


@router.get(
    "/invoices/{invoice_id}/xml",
    response={200: None, **PROBLEM_RESPONSES},
    summary="The invoice's XML: EN 16931 CII (format=cii) or Italian FatturaPA",
)
@requires(Perm.BILLING_VIEW)
def invoice_xml(request: HttpRequest, invoice_id: int, params: Query[XmlQuery]) -> HttpResponse:
    from mesocare.billing import documents

    invoice = invoicing.get_invoice(actor_of(request), invoice_id)
    if params.format == "fatturapa":
        body = documents.invoice_fatturapa_xml(invoice)
        name = documents.fatturapa_filename(invoice)
    else:
        body = documents.invoice_cii_xml(invoice)
        name = "invoice-" + invoice.display_number.replace("/", "-") + ".xml"
    response = HttpResponse(body, content_type="application/xml")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


def credit_note_out(note: CreditNote) -> dict[str, Any]:
    return {
        "id": note.pk,
        "number": note.display_number,
        "invoice_id": note.invoice_id,
        "issued_at": note.issued_at,
        "issue_date": note.issue_date,
        "currency": note.currency,
        "reason": note.reason,
        "net_total": note.net_total,
        "tax_total": note.tax_total,
        "gross_total": note.gross_total,
        "lines": [
            {
                "position": line.position,
                "invoice_line_id": line.invoice_line_id,
                "description": line.description,
                "quantity": line.quantity,
                "unit_price": line.unit_price,
                "net_amount": line.net_amount,
                "tax_category": line.tax_category,
                "tax_rate": line.tax_rate,
            }
            for line in note.lines.all()
        ],
    }


@router.get(
    "/invoices/{invoice_id}/credit-notes",
    response={200: list[CreditNoteOut], **PROBLEM_RESPONSES},
)
@requires(Perm.BILLING_VIEW)
def list_credit_notes(request: HttpRequest, invoice_id: int) -> list[dict[str, Any]]:
    return [credit_note_out(n) for n in invoicing.list_credit_notes(actor_of(request), invoice_id)]


@router.post(
    "/invoices/{invoice_id}/credit-notes",
    response={201: CreditNoteOut, **PROBLEM_RESPONSES},
    summary="Issue a credit note (never more than is left on the invoice)",
)
@requires(Perm.CREDIT_ISSUE)
def issue_credit_note(request: HttpRequest, invoice_id: int, payload: CreditNoteIn) -> Status:
    actor = actor_of(request)
    note = invoicing.issue_credit_note(
        actor,
        invoice_id,
        reason=payload.reason,
        lines=[CreditRequest(line.line_id, line.quantity) for line in payload.lines],
    )
    fresh = CreditNote.objects.prefetch_related("lines").get(pk=note.pk)
    return Status(201, credit_note_out(fresh))


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
