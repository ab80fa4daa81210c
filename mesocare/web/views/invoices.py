"""An invoice's page at the till: take a payment, credit it, its PDF/A-3 and e-invoice XML,
email it; a credit note's documents."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.mail import EmailMessage
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.billing import documents
from mesocare.billing.models import CreditNote, Invoice, Payment
from mesocare.billing.services import invoicing, payments
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError
from mesocare.web.forms.billing import (
    CreditNoteForm,
    EmailInvoiceForm,
    PaymentForm,
)
from mesocare.web.views.base import apply_domain_errors, staff_view

LIST_LIMIT = 50


def desk_location(actor: Actor, fallback_id: int | None = None) -> int:
    """Where money taken now is counted: the member's default location, else the given one,
    else the organization's first location."""
    if actor.membership.default_location_id:
        return int(actor.membership.default_location_id)
    if fallback_id:
        return fallback_id
    first = Location.objects.for_org(actor.org_id).order_by("pk").values_list("pk", flat=True)
    return int(first[0])


# ------------------------------------------------------------------ invoices


def _invoice_page(
    request: HttpRequest,
    actor: Actor,
    invoice_id: int,
    *,
    pay_form: PaymentForm | None = None,
    credit_form: CreditNoteForm | None = None,
    email_form: EmailInvoiceForm | None = None,
    status: int = 200,
) -> HttpResponse:
    invoice = invoicing.get_invoice(actor, invoice_id, channel="web")
    due = payments.open_invoices(actor.org_id, invoice.patient_id).get(invoice.pk, Decimal(0))
    invoice_payments = list(
        Payment.objects.for_org(actor.org_id)
        .filter(Q(invoice=invoice) | Q(credit_note__invoice=invoice))
        .select_related("location")
        .order_by("received_at", "id")
    )
    if actor.can(Perm.BILLING_CHARGE):
        pay_form = pay_form or PaymentForm(initial={"amount": due} if due else None)
        email_form = email_form or EmailInvoiceForm(initial={"email": invoice.patient.email})
    if actor.can(Perm.CREDIT_ISSUE) and invoicing.creditable(invoice) > 0:
        credit_form = credit_form or CreditNoteForm()
    else:
        credit_form = None
    return render(
        request,
        "web/billing/invoice.html",
        {
            "invoice": invoice,
            "due": due,
            "payments": invoice_payments,
            "credit_notes": list(invoice.credit_notes.all()),
            "pay_form": pay_form if actor.can(Perm.BILLING_CHARGE) else None,
            "email_form": email_form if actor.can(Perm.BILLING_CHARGE) else None,
            "credit_form": credit_form,
            "italian": _is_italian(actor),
        },
        status=status,
    )


def _is_italian(actor: Actor) -> bool:
    from mesocare.clinics.legal import legal_details

    details = legal_details(actor.org_id)
    return details is not None and details.country == "IT"


@staff_view(Perm.BILLING_VIEW)
def invoice_detail(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    return _invoice_page(request, actor, invoice_id)


@staff_view(Perm.BILLING_CHARGE)
@require_POST
def invoice_payment(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    form = PaymentForm(request.POST)
    invoice = get_for_org(Invoice, actor.org_id, invoice_id)
    if form.is_valid():
        try:
            payments.record_payment(
                actor,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                location_id=desk_location(actor, invoice.location_id),
                invoice_id=invoice.pk,
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("web:invoice-detail", invoice_id=invoice.pk)
    return _invoice_page(request, actor, invoice_id, pay_form=form, status=422)


@staff_view(Perm.CREDIT_ISSUE)
@require_POST
def invoice_credit(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    form = CreditNoteForm(request.POST)
    if form.is_valid():
        try:
            note = invoicing.issue_credit_note(
                actor, invoice_id, reason=form.cleaned_data["reason"], channel="web"
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request, _("Credit note %(number)s issued.") % {"number": note.display_number}
            )
            return redirect("web:invoice-detail", invoice_id=invoice_id)
    return _invoice_page(request, actor, invoice_id, credit_form=form, status=422)


def _document_response(
    request: HttpRequest, actor: Actor, document: Invoice | CreditNote, kind: str
) -> HttpResponse:
    """The PDF or XML of an invoice or credit note, audited as an export."""
    try:
        if kind == "pdf":
            body = documents.invoice_pdf(document)
            content_type, name = "application/pdf", f"{_file_stem(document)}.pdf"
        elif kind == "fatturapa":
            body = documents.invoice_fatturapa_xml(document)
            content_type, name = "application/xml", documents.fatturapa_filename(document)
        else:
            body = documents.invoice_cii_xml(document)
            content_type, name = "application/xml", f"{_file_stem(document)}-en16931.xml"
    except DomainError as exc:
        messages.error(request, exc.message)
        invoice_id = document.invoice_id if isinstance(document, CreditNote) else document.pk
        return redirect("web:invoice-detail", invoice_id=invoice_id)
    record(
        actor,
        AuditAction.EXPORT,
        document,
        patient_id=document.patient_id,
        summary=f"{kind} of {document.display_number}",
        channel="web",
    )
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def _file_stem(document: Invoice | CreditNote) -> str:
    return document.display_number.replace("/", "-")


def _kind(request: HttpRequest) -> str:
    wanted = request.GET.get("format", "cii")
    return wanted if wanted in ("cii", "fatturapa") else "cii"


@staff_view(Perm.BILLING_VIEW)
def invoice_pdf(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    return _document_response(request, actor, get_for_org(Invoice, actor.org_id, invoice_id), "pdf")


@staff_view(Perm.BILLING_VIEW)
def invoice_xml(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    invoice = get_for_org(Invoice, actor.org_id, invoice_id)
    return _document_response(request, actor, invoice, _kind(request))


@staff_view(Perm.BILLING_VIEW)
def credit_note_pdf(request: HttpRequest, actor: Actor, note_id: int) -> HttpResponse:
    return _document_response(request, actor, get_for_org(CreditNote, actor.org_id, note_id), "pdf")


@staff_view(Perm.BILLING_VIEW)
def credit_note_xml(request: HttpRequest, actor: Actor, note_id: int) -> HttpResponse:
    note = get_for_org(CreditNote, actor.org_id, note_id)
    return _document_response(request, actor, note, _kind(request))


@staff_view(Perm.BILLING_CHARGE)
@require_POST
def invoice_email(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    """Email the invoice's PDF (with its XML inside) to the patient."""
    form = EmailInvoiceForm(request.POST)
    invoice = get_for_org(Invoice, actor.org_id, invoice_id)
    if form.is_valid():
        try:
            pdf = documents.invoice_pdf(invoice)
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            message = EmailMessage(
                subject=_("Invoice %(number)s") % {"number": invoice.display_number},
                body=_("Please find attached invoice %(number)s of %(clinic)s.")
                % {"number": invoice.display_number, "clinic": actor.organization.name},
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[form.cleaned_data["email"]],
            )
            message.attach(f"{_file_stem(invoice)}.pdf", pdf, "application/pdf")
            message.send()
            record(
                actor,
                AuditAction.EXPORT,
                invoice,
                patient_id=invoice.patient_id,
                summary=f"invoice {invoice.display_number} emailed",
                channel="web",
            )
            messages.success(request, _("Invoice emailed."))
            return redirect("web:invoice-detail", invoice_id=invoice.pk)
    return _invoice_page(request, actor, invoice_id, email_form=form, status=422)


urlpatterns = [
    path("till/invoices/<int:invoice_id>", invoice_detail, name="invoice-detail"),
    path("till/invoices/<int:invoice_id>/pay", invoice_payment, name="invoice-pay"),
    path("till/invoices/<int:invoice_id>/credit", invoice_credit, name="invoice-credit"),
    path("till/invoices/<int:invoice_id>/email", invoice_email, name="invoice-email"),
    path("till/invoices/<int:invoice_id>/pdf", invoice_pdf, name="invoice-pdf"),
    path("till/invoices/<int:invoice_id>/xml", invoice_xml, name="invoice-xml"),
    path("till/credit-notes/<int:note_id>/pdf", credit_note_pdf, name="credit-note-pdf"),
    path("till/credit-notes/<int:note_id>/xml", credit_note_xml, name="credit-note-xml"),
]
