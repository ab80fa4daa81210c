"""The till's admin and correction pages: edit or withdraw a price (a new version from a day)
and a course offer (a new version when its price or sessions change), the cancellation policy
(each change a new version), cancel a course sold as a package with its refund, refund a
credit note by a method, and a credit note for chosen lines and quantities.

Views call the billing services, which check permissions, scope every query to the
organization, audit and raise domain errors; forms show those errors beside their fields.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.billing.choices import PackageStatus
from mesocare.billing.models import (
    CancellationPolicy,
    CreditNote,
    InvoiceLine,
    PackageOffer,
    PatientPackage,
    Payment,
    PriceItem,
)
from mesocare.billing.services import invoicing, packages, payments, prices
from mesocare.billing.services.invoicing import CreditRequest
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.core import money
from mesocare.errors import DomainError
from mesocare.web.forms.billing import PaymentForm
from mesocare.web.forms.till_manage import (
    CancelCourseForm,
    CreditLinesForm,
    OfferEditForm,
    PolicyForm,
    PriceEditForm,
)
from mesocare.web.views.base import apply_domain_errors, staff_view


def _desk(actor: Actor) -> Location:
    """Where the member works: their default location, else the organization's first."""
    qs = Location.objects.for_org(actor.org_id)
    if actor.membership.default_location_id:
        found = qs.filter(pk=actor.membership.default_location_id).first()
        if found is not None:
            return found
    first = qs.order_by("pk").first()
    assert first is not None
    return first


def _start_of(day: dt.date | None, where: Location) -> dt.datetime | None:
    """None (now) for today or no day; midnight of a later day on the location's clock."""
    if day is None or day <= timezone.localtime(timezone.now(), where.tz).date():
        return None
    return dt.datetime.combine(day, dt.time(0), tzinfo=where.tz)


# ------------------------------------------------------------------ prices


def _price_page(
    request: HttpRequest, actor: Actor, item_id: int, form: PriceEditForm | None, status: int
) -> HttpResponse:
    item = prices.get_price_item(actor, item_id)
    form = form or PriceEditForm(
        initial={"name": item.name, "amount": item.current_amount, "active": item.active}  # type: ignore[attr-defined]
    )
    return render(
        request,
        "web/billing/price_edit.html",
        {"item": item, "versions": list(item.versions.all()), "form": form},
        status=status,
    )


@staff_view(Perm.PRICE_MANAGE)
def price_edit(request: HttpRequest, actor: Actor, item_id: int) -> HttpResponse:
    if request.method != "POST":
        return _price_page(request, actor, item_id, None, 200)
    item = prices.get_price_item(actor, item_id)
    form = PriceEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        today = timezone.localtime(timezone.now(), _desk(actor).tz).date()
        changes: dict[str, Any] = {"name": data["name"], "active": data["active"]}
        if data["valid_from"] is not None and data["valid_from"] < today:
            form.add_error("valid_from", _("A new price starts today or later."))
        elif data["amount"] != item.current_amount or data["valid_from"]:  # type: ignore[attr-defined]
            changes["amount"] = data["amount"]
            changes["valid_from"] = _start_of(data["valid_from"], _desk(actor))
        if not form.errors:
            try:
                prices.update_price_item(actor, item, changes, channel="web")
            except DomainError as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, _("%(item)s saved.") % {"item": data["name"]})
                return redirect("web:price-list")
    return _price_page(request, actor, item_id, form, 422)


# ------------------------------------------------------------------ course offers


def _offer_page(
    request: HttpRequest, actor: Actor, offer: PackageOffer, form: OfferEditForm, status: int
) -> HttpResponse:
    return render(
        request, "web/billing/offer_edit.html", {"offer": offer, "form": form}, status=status
    )


@staff_view(Perm.PRICE_MANAGE)
def offer_edit(request: HttpRequest, actor: Actor, offer_id: int) -> HttpResponse:
    offer = packages.get_offer(actor, offer_id)
    fields = ("name", "sessions", "price", "validity_days", "max_instalments", "active")
    if request.method != "POST":
        form = OfferEditForm(initial={f: getattr(offer, f) for f in fields})
        return _offer_page(request, actor, offer, form, 200)
    form = OfferEditForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            if data["price"] != offer.price or data["sessions"] != offer.sessions:
                new = packages.revise_offer(
                    actor, offer, {f: data[f] for f in fields if f != "active"}, channel="web"
                )
                message = _("New version of %(offer)s on sale; the old one is withdrawn.") % {
                    "offer": new.name
                }
            else:
                packages.update_offer(
                    actor,
                    offer,
                    {f: data[f] for f in fields if f not in ("price", "sessions")},
                    channel="web",
                )
                message = _("%(offer)s saved.") % {"offer": data["name"]}
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, message)
            return redirect("web:price-list")
    return _offer_page(request, actor, offer, form, 422)


# ------------------------------------------------------------------ cancellation policy


def _policy_page(
    request: HttpRequest, actor: Actor, form: PolicyForm | None, status: int
) -> HttpResponse:
    versions = list(CancellationPolicy.objects.for_org(actor.org_id).order_by("-version")[:20])
    current = prices.current_policy(actor.org_id)
    if actor.can(Perm.PRICE_MANAGE) and form is None:
        initial: dict[str, Any] = {"late_cancel_hours": 24, "forfeit_on_no_show": True}
        if current is not None:
            initial = {
                f: getattr(current, f)
                for f in (
                    "late_cancel_hours",
                    "forfeit_on_late_cancel",
                    "forfeit_on_no_show",
                    "refund_policy",
                    "fee_amount",
                )
            }
        form = PolicyForm(initial=initial)
    return render(
        request,
        "web/billing/policy.html",
        {"current": current, "versions": versions, "form": form, "where": _desk(actor)},
        status=status,
    )


def _price_list_currency(org_id: int) -> str:
    code = (
        PriceItem.objects.for_org(org_id).order_by("id").values_list("currency", flat=True).first()
    )
    return str(code or "EUR")


@staff_view(Perm.BILLING_VIEW)
def policy(request: HttpRequest, actor: Actor) -> HttpResponse:
    if request.method != "POST":
        return _policy_page(request, actor, None, 200)
    actor.require(Perm.PRICE_MANAGE)
    form = PolicyForm(request.POST)
    if form.is_valid():
        try:
            new = prices.set_cancellation_policy(
                actor,
                **form.cleaned_data,
                currency=_price_list_currency(actor.org_id),
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                _("Cancellation policy version %(version)s applies from now.")
                % {"version": new.version},
            )
            return redirect("web:till-policy")
    return _policy_page(request, actor, form, 422)


# ------------------------------------------------------------------ cancel a course


def _cancel_page(
    request: HttpRequest, actor: Actor, package: PatientPackage, form: CancelCourseForm, status: int
) -> HttpResponse:
    net, terms = packages.refund_due(package)
    rate = Decimal(package.offer_snapshot.get("tax_rate") or 0)
    credit = net + money.vat_amount(net, rate, package.currency)
    return render(
        request,
        "web/billing/course_cancel.html",
        {
            "patient": package.patient,
            "package": package,
            "credit": credit,
            "policy": prices.current_policy(actor.org_id),
            "fee_policy": terms.get("refund_policy") == "fee",
            "form": form,
        },
        status=status,
    )


@staff_view(Perm.CREDIT_ISSUE)
def course_cancel(
    request: HttpRequest, actor: Actor, patient_id: int, package_id: int
) -> HttpResponse:
    package = get_for_org(
        PatientPackage,
        actor.org_id,
        package_id,
        queryset=PatientPackage.objects.filter(patient_id=patient_id).select_related(
            "patient", "protocol"
        ),
    )
    record(
        actor,
        AuditAction.READ,
        package,
        patient_id=package.patient_id,
        summary=f"package {package.pk} before cancelling",
        channel="web",
    )
    if package.status == PackageStatus.CANCELLED:
        messages.info(request, _("This course is already cancelled."))
        return redirect("web:patient-account", patient_id=patient_id)
    if request.method != "POST":
        return _cancel_page(request, actor, package, CancelCourseForm(), 200)
    form = CancelCourseForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            done = packages.cancel_package(
                actor,
                patient_id,
                package.pk,
                reason=data["reason"],
                refund_method=data["refund_method"] or None,
                location_id=_desk(actor).pk,
                reference=data["reference"],
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            refund = getattr(done, "refund", None)
            if refund is not None:
                text = _("Course cancelled; %(amount)s %(currency)s refunded.") % {
                    "amount": -refund.amount,
                    "currency": refund.currency,
                }
            else:
                text = _("Course cancelled.")
            messages.success(request, text)
            return redirect("web:patient-account", patient_id=patient_id)
    return _cancel_page(request, actor, package, form, 422)


# ------------------------------------------------------------------ refund a credit note


def _refunded(note: CreditNote) -> Decimal:
    total = Payment.objects.filter(credit_note=note).aggregate(s=Sum("amount"))["s"]
    return -money.round_money(total or 0, note.currency)


def _refund_page(
    request: HttpRequest, actor: Actor, note: CreditNote, form: PaymentForm | None, status: int
) -> HttpResponse:
    left = note.gross_total - _refunded(note)
    credit = payments.balance_of(actor.org_id, note.patient_id).credit
    form = form or PaymentForm(initial={"amount": min(left, credit)})
    return render(
        request,
        "web/billing/refund.html",
        {"note": note, "left": left, "credit": credit, "form": form},
        status=status,
    )


@staff_view(Perm.BILLING_CHARGE)
def credit_note_refund(request: HttpRequest, actor: Actor, note_id: int) -> HttpResponse:
    note = get_for_org(
        CreditNote,
        actor.org_id,
        note_id,
        queryset=CreditNote.objects.select_related("invoice", "patient"),
    )
    record(
        actor,
        AuditAction.READ,
        note,
        patient_id=note.patient_id,
        summary=f"credit note {note.display_number}",
        channel="web",
    )
    if request.method != "POST":
        return _refund_page(request, actor, note, None, 200)
    form = PaymentForm(request.POST)
    if form.is_valid():
        try:
            payments.record_refund(
                actor,
                amount=form.cleaned_data["amount"],
                method=form.cleaned_data["method"],
                reference=form.cleaned_data["reference"],
                location_id=_desk(actor).pk,
                credit_note_id=note.pk,
                channel="web",
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, _("Refund recorded."))
            return redirect("web:invoice-detail", invoice_id=note.invoice_id)
    return _refund_page(request, actor, note, form, 422)


# ------------------------------------------------------------------ credit chosen lines


@staff_view(Perm.CREDIT_ISSUE)
def invoice_credit_lines(request: HttpRequest, actor: Actor, invoice_id: int) -> HttpResponse:
    invoice = invoicing.get_invoice(actor, invoice_id, channel="web")
    lines = list(InvoiceLine.objects.filter(invoice=invoice).order_by("position"))
    done = invoicing.credited_quantities(invoice)
    left = {line.pk: line.quantity - done.get(line.pk, Decimal(0)) for line in lines}
    creditable = [line for line in lines if left[line.pk] > 0 and line.unit_price > 0]
    form = CreditLinesForm(request.POST or None, lines=creditable, left=left)
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            chosen = form.quantities()
            if not chosen:
                form.add_error(None, _("Give the quantity to credit of at least one line."))
            else:
                try:
                    note = invoicing.issue_credit_note(
                        actor,
                        invoice.pk,
                        reason=form.cleaned_data["reason"],
                        lines=[CreditRequest(line_id=pk, quantity=qty) for pk, qty in chosen],
                        channel="web",
                    )
                except DomainError as exc:
                    _line_errors(form, exc, chosen)
                else:
                    messages.success(
                        request,
                        _("Credit note %(number)s issued.") % {"number": note.display_number},
                    )
                    return redirect("web:invoice-detail", invoice_id=invoice.pk)
    return render(
        request,
        "web/billing/credit_lines.html",
        {"invoice": invoice, "form": form, "has_lines": bool(creditable)},
        status=status,
    )


def _line_errors(form: CreditLinesForm, exc: DomainError, chosen: list[Any]) -> None:
    """The service names `lines[n].quantity`; put the message beside that line's field."""
    for error in exc.errors:
        field = error.get("field", "")
        if field.startswith("lines[") and "]" in field:
            n = int(field[6 : field.index("]")])
            if n < len(chosen):
                form.add_error(f"line_{chosen[n][0]}", error["message"])
                continue
        form.add_error(None, error["message"])
    if not exc.errors:
        form.add_error(None, exc.message)


urlpatterns = [
    path("till/prices/<int:item_id>", price_edit, name="price-item-edit"),
    path("till/packages/<int:offer_id>", offer_edit, name="package-offer-edit"),
    path("till/policy", policy, name="till-policy"),
    path(
        "patients/<int:patient_id>/account/courses/<int:package_id>/cancel",
        course_cancel,
        name="patient-course-cancel",
    ),
    path("till/credit-notes/<int:note_id>/refund", credit_note_refund, name="credit-note-refund"),
    path(
        "till/invoices/<int:invoice_id>/credit-lines",
        invoice_credit_lines,
        name="invoice-credit-lines",
    ),
]
