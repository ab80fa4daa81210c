"""The till's invoices and credit notes: issue, list, read, PDF/A-3 and e-invoice XML."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Status

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.billing_schemas import (
    CreditNoteIn,
    CreditNoteOut,
    InvoiceIn,
    InvoiceOut,
    InvoiceQuery,
    XmlQuery,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.billing.models import (
    CreditNote,
    Invoice,
)
from mesocare.billing.services import invoicing
from mesocare.billing.services.invoicing import CreditRequest, ItemRequest
from mesocare.clinics.permissions import Perm

router = Router(tags=["billing"])


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
