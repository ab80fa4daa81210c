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

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.billing.choices import PackageStatus, PaymentMethod, ServiceKind
from mesocare.billing.models import Invoice, PatientPackage, Payment
from mesocare.billing.services import deposits, invoicing, packages, payments, prices, reports
from mesocare.billing.services.invoicing import ItemRequest
from mesocare.charting.models import TreatmentSession
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError
from mesocare.patients.services.registry import get_patient
from mesocare.web.forms.billing import (
    ExportForm,
    ExtrasForm,
    PackageOfferForm,
    PaymentForm,
    PriceItemForm,
    SellPackageForm,
    TakingsForm,
)
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views import billing_reports, invoices
from mesocare.web.views.base import apply_domain_errors, staff_view
from mesocare.web.views.invoices import desk_location

LIST_LIMIT = 50


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
                location_id=desk_location(actor),
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
                location_id=desk_location(actor),
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
    path("till/takings", takings, name="takings"),
    path("till/takings/export.csv", takings_export, name="takings-export"),
    path("till/prices", price_list, name="price-list"),
    path("till/prices/new", price_item_create, name="price-item-create"),
    path("till/packages/new", package_offer_create, name="package-offer-create"),
]

# An invoice's page and documents, and Till → Revenue (their own modules)
urlpatterns += invoices.urlpatterns + billing_reports.urlpatterns
