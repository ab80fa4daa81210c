"""The till's staff pages: the patient's account, checkout of a visit, invoices (payment,
credit note, PDF and XML, email), the day's takings (Z report) with the accountant's CSV, and
the price list with the packages on sale.

Views call the billing services (`mesocare.billing.services`), which check permissions, scope
every query to the organization, audit and raise domain errors; the forms show those errors
beside their fields.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.mail import EmailMessage
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.billing import documents
from mesocare.billing.choices import PackageStatus, PaymentMethod, ServiceKind
from mesocare.billing.models import CreditNote, Invoice, PatientPackage, Payment
from mesocare.billing.services import deposits, invoicing, packages, payments, prices, reports
from mesocare.billing.services.invoicing import ItemRequest
from mesocare.charting.models import TreatmentSession
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError
from mesocare.patients.services.registry import get_patient
from mesocare.web.forms.billing import (
    CreditNoteForm,
    EmailInvoiceForm,
    ExportForm,
    ExtrasForm,
    PackageOfferForm,
    PaymentForm,
    PriceItemForm,
    SellPackageForm,
    TakingsForm,
)
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views import billing_reports
from mesocare.web.views.base import apply_domain_errors, staff_view

LIST_LIMIT = 50


def _desk_location(actor: Actor, fallback_id: int | None = None) -> int:
    """Where money taken now is counted: the member's default location, else the given one,
    else the organization's first location."""
    if actor.membership.default_location_id:
        return int(actor.membership.default_location_id)
    if fallback_id:
        return fallback_id
    first = Location.objects.for_org(actor.org_id).order_by("pk").values_list("pk", flat=True)
    return int(first[0])


# ------------------------------------------------------------------ patient account


def _account_page(
    request: HttpRequest,
    actor: Actor,
    patient_id: int,
    *,
    sell_form: SellPackageForm | None = None,
    pay_form: PaymentForm | None = None,
    status: int = 200,
) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "account")
    balance = payments.balance_of(actor.org_id, patient.pk)
    record(
        actor,
        AuditAction.READ,
        patient,
        patient_id=patient.pk,
        summary="billing account",
        channel="web",
    )
    # what is still due per invoice adds up to the balance due: nothing to spread when settled
    open_amounts = payments.open_invoices(actor.org_id, patient.pk) if balance.due > 0 else {}
    invoices = list(
        Invoice.objects.for_org(actor.org_id)
        .filter(patient=patient)
        .order_by("-issued_at", "-id")[:LIST_LIMIT]
    )
    for invoice in invoices:
        invoice.still_due = open_amounts.get(invoice.pk, Decimal(0))  # type: ignore[attr-defined]
    # read with the account, audited above
    package_rows = list(
        packages.package_queryset(actor.org_id)
        .filter(patient=patient)
        .order_by("-sold_at", "-id")[:LIST_LIMIT]
    )
    for package in package_rows:
        status_now = packages.effective_status(package)
        package.shown_status = status_now  # type: ignore[attr-defined]
        package.shown_status_label = PackageStatus(status_now).label  # type: ignore[attr-defined]
    payment_rows = list(
        Payment.objects.for_org(actor.org_id)
        .filter(patient=patient)
        .select_related("location", "invoice", "credit_note")
        .order_by("-received_at", "-id")[:LIST_LIMIT]
    )
    invoiced_sessions = Invoice.objects.for_org(actor.org_id).filter(source_session__isnull=False)
    to_check_out = list(
        TreatmentSession.objects.for_org(actor.org_id)
        .filter(patient=patient, signed_at__isnull=False)
        .exclude(pk__in=invoiced_sessions.values("source_session"))
        .select_related("protocol", "location")
        .order_by("-signed_at")[:20]
    )
    can_charge = actor.can(Perm.BILLING_CHARGE)
    if can_charge:
        sell_form = sell_form or SellPackageForm(org_id=actor.org_id)
        pay_form = pay_form or PaymentForm()
    context.update(
        {
            "balance": balance,
            "invoices": invoices,
            "packages": package_rows,
            "payments": payment_rows,
            "to_check_out": to_check_out,
            "sell_form": sell_form if can_charge else None,
            "pay_form": pay_form if can_charge else None,
            "active_status": PackageStatus.ACTIVE,
        }
    )
    return render(request, "web/billing/account.html", context, status=status)


@staff_view(Perm.BILLING_VIEW)
def patient_account(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    return _account_page(request, actor, patient_id)


@staff_view(Perm.BILLING_CHARGE)
@require_POST
def sell_package(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    form = SellPackageForm(request.POST, org_id=actor.org_id)
    if form.is_valid():
        try:
            package = packages.sell_package(
                actor,
                patient_id=patient_id,
                offer_id=form.cleaned_data["offer"].pk,
                location_id=_desk_location(actor),
                instalments=form.cleaned_data["instalments"],
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Course sold; its invoice is ready for payment."))
            return redirect("web:invoice-detail", invoice_id=package.invoice_id)
    return _account_page(request, actor, patient_id, sell_form=form, status=422)


@staff_view(Perm.BILLING_CHARGE)
@require_POST
def account_payment(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payments.record_payment(
                actor,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                location_id=_desk_location(actor),
                patient_id=patient_id,
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Payment recorded."))
            return redirect("web:patient-account", patient_id=patient_id)
    return _account_page(request, actor, patient_id, pay_form=form, status=422)


# ------------------------------------------------------------------ checkout


def _extras(actor: Actor) -> list[Any]:
    return list(
        prices.price_items(actor.org_id).filter(
            active=True, kind__in=[ServiceKind.ADDON, ServiceKind.PRODUCT]
        )
    )


@staff_view(Perm.BILLING_CHARGE)
def checkout(request: HttpRequest, actor: Actor, session_id: int) -> HttpResponse:
    """The end of a visit: what was done, the package and deposit that apply, extras, and the
    invoice issued for what is left to pay."""
    session = get_for_org(
        TreatmentSession,
        actor.org_id,
        session_id,
        queryset=TreatmentSession.objects.select_related(
            "protocol", "practitioner__user", "location"
        ),
    )
    existing = Invoice.objects.for_org(actor.org_id).filter(source_session=session).first()
    if existing is not None:
        return redirect("web:invoice-detail", invoice_id=existing.pk)
    patient = get_patient(actor, session.patient_id, channel="web")
    item = prices.session_item(actor.org_id, session.protocol_id)
    price = prices.price_at(item) if item is not None else None
    used = (
        PatientPackage.objects.for_org(actor.org_id)
        .filter(uses__session=session)
        .select_related("offer")
        .first()
    )
    deposit = (
        deposits.deposit_of(actor.org_id, session.appointment_id)
        if session.appointment_id
        else None
    )
    form = ExtrasForm(request.POST or None, items=_extras(actor))
    if request.method == "POST" and form.is_valid():
        try:
            invoice = invoicing.issue_visit_invoice(
                actor,
                session_id=session.pk,
                items=[ItemRequest(pk, Decimal(qty)) for pk, qty in form.requested()],
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Invoice %(number)s issued.") % {"number": invoice})
            return redirect("web:invoice-detail", invoice_id=invoice.pk)
    return render(
        request,
        "web/billing/checkout.html",
        {
            "session": session,
            "patient": patient,
            "item": item,
            "price": price,
            "package": used,
            "deposit": deposit,
            "form": form,
        },
        status=422 if form.errors else 200,
    )


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
                location_id=_desk_location(actor, invoice.location_id),
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


# ------------------------------------------------------------------ takings


@staff_view(Perm.BILLING_VIEW)
def takings(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The day's takings per location and payment method (the Z report)."""
    today = timezone.localdate()
    form = TakingsForm(request.GET or {"day": today.isoformat()}, org_id=actor.org_id)
    report: list[reports.LocationTakings] = []
    day = today
    if form.is_valid():
        day = form.cleaned_data["day"]
        location = form.cleaned_data.get("location")
        try:
            report = reports.takings(actor, day, location_id=location.pk if location else None)
            for location_takings in report:
                for method in location_takings.methods:
                    method.label = PaymentMethod(method.method).label  # type: ignore[attr-defined]
        except DomainError as exc:
            apply_domain_errors(form, exc)
    export = ExportForm(initial={"date_from": day.replace(day=1), "date_to": day})
    return render(
        request,
        "web/billing/takings.html",
        {"form": form, "report": report, "day": day, "export_form": export},
    )


@staff_view(Perm.BILLING_VIEW)
def takings_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    """Every invoice, credit note and payment of a period, as CSV for the accountant."""
    form = ExportForm(request.GET)
    if not form.is_valid():
        messages.error(request, _("Choose the first and last day of the export."))
        return redirect("web:takings")
    date_from: dt.date = form.cleaned_data["date_from"]
    date_to: dt.date = form.cleaned_data["date_to"]
    try:
        text = reports.export_csv(actor, date_from, date_to, channel="web")
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("web:takings")
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="till-{date_from.isoformat()}-{date_to.isoformat()}.csv"'
    )
    return response


# ------------------------------------------------------------------ prices and packages


def _prices_page(
    request: HttpRequest,
    actor: Actor,
    *,
    item_form: PriceItemForm | None = None,
    offer_form: PackageOfferForm | None = None,
    status: int = 200,
) -> HttpResponse:
    can_edit = actor.can(Perm.PRICE_MANAGE)
    if can_edit:
        item_form = item_form or PriceItemForm(org_id=actor.org_id)
        offer_form = offer_form or PackageOfferForm(org_id=actor.org_id)
    return render(
        request,
        "web/billing/prices.html",
        {
            "items": list(prices.list_prices(actor).select_related("protocol")),
            "offers": list(packages.list_offers(actor)),
            "item_form": item_form if can_edit else None,
            "offer_form": offer_form if can_edit else None,
        },
        status=status,
    )


@staff_view(Perm.BILLING_VIEW)
def price_list(request: HttpRequest, actor: Actor) -> HttpResponse:
    return _prices_page(request, actor)


@staff_view(Perm.PRICE_MANAGE)
@require_POST
def price_item_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PriceItemForm(request.POST, org_id=actor.org_id)
    if form.is_valid():
        data = dict(form.cleaned_data)
        protocol = data.pop("protocol")
        data["deposit_kind"] = data["deposit_kind"] or None
        try:
            prices.create_price_item(
                actor, **data, protocol_id=protocol.pk if protocol else None, channel="web"
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Price list item added."))
            return redirect("web:price-list")
    return _prices_page(request, actor, item_form=form, status=422)


@staff_view(Perm.PRICE_MANAGE)
@require_POST
def package_offer_create(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = PackageOfferForm(request.POST, org_id=actor.org_id)
    if form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if not k.startswith("include_")}
        protocol = data.pop("protocol")
        try:
            packages.create_offer(
                actor,
                **data,
                protocol_id=protocol.pk,
                components=form.components(),
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Course offer added."))
            return redirect("web:price-list")
    return _prices_page(request, actor, offer_form=form, status=422)


urlpatterns = [
    path("patients/<int:patient_id>/account", patient_account, name="patient-account"),
    path("patients/<int:patient_id>/account/sell", sell_package, name="patient-sell-package"),
    path("patients/<int:patient_id>/account/pay", account_payment, name="patient-account-pay"),
    path("till/checkout/<int:session_id>", checkout, name="checkout"),
    path("till/invoices/<int:invoice_id>", invoice_detail, name="invoice-detail"),
    path("till/invoices/<int:invoice_id>/pay", invoice_payment, name="invoice-pay"),
    path("till/invoices/<int:invoice_id>/credit", invoice_credit, name="invoice-credit"),
    path("till/invoices/<int:invoice_id>/email", invoice_email, name="invoice-email"),
    path("till/invoices/<int:invoice_id>/pdf", invoice_pdf, name="invoice-pdf"),
    path("till/invoices/<int:invoice_id>/xml", invoice_xml, name="invoice-xml"),
    path("till/credit-notes/<int:note_id>/pdf", credit_note_pdf, name="credit-note-pdf"),
    path("till/credit-notes/<int:note_id>/xml", credit_note_xml, name="credit-note-xml"),
    path("till/takings", takings, name="takings"),
    path("till/takings/export.csv", takings_export, name="takings-export"),
    path("till/prices", price_list, name="price-list"),
    path("till/prices/new", price_item_create, name="price-item-create"),
    path("till/packages/new", package_offer_create, name="package-offer-create"),
]

# Till → Revenue (its own module)
urlpatterns += billing_reports.urlpatterns
