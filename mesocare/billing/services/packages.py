"""Courses sold as packages: offers, selling (with its invoice), consumption by signed
sessions, cancellation with a refund of the unused part by the clinic's policy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record, record_list_read
from mesocare.billing.choices import (
    InvoiceKind,
    PackageStatus,
    PaymentMethod,
    RefundPolicy,
    ServiceKind,
)
from mesocare.billing.models import (
    CreditNote,
    Invoice,
    InvoiceLine,
    PackageAllowance,
    PackageConsumption,
    PackageOffer,
    PackageOfferItem,
    PatientPackage,
    PriceItem,
)
from mesocare.billing.services import payments
from mesocare.billing.services.common import amount_in, check_tax, currency_code, missing
from mesocare.billing.services.invoicing import (
    LineSpec,
    _location,
    _patient,
    creditable,
    issue_credit,
    issue_invoice,
)
from mesocare.billing.services.prices import _protocol, current_policy, price_at, session_item
from mesocare.charting.models import TreatmentSession
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.core import money
from mesocare.errors import Conflict, Invalid
from mesocare.lib.validation import full_clean_or_invalid
from mesocare.patients.models import Patient

_COMPONENTS = Prefetch(
    "components", queryset=PackageOfferItem.objects.select_related("item").order_by("id")
)
OFFER_FIELDS = ("name", "active", "validity_days", "max_instalments")


def list_offers(actor: Actor, *, active: bool | None = None) -> models.QuerySet[PackageOffer]:
    actor.require(Perm.BILLING_VIEW)
    qs = (
        PackageOffer.objects.for_org(actor.org_id)
        .select_related("protocol")
        .prefetch_related(_COMPONENTS)
    )
    if active is not None:
        qs = qs.filter(active=active)
    return qs.order_by("name", "id")


def get_offer(actor: Actor, pk: Any) -> PackageOffer:
    actor.require(Perm.BILLING_VIEW)
    return get_for_org(
        PackageOffer,
        actor.org_id,
        pk,
        queryset=PackageOffer.objects.select_related("protocol").prefetch_related(_COMPONENTS),
    )


def _components(
    actor: Actor, components: Sequence[Any], currency: str
) -> list[tuple[PriceItem, int]]:
    """The services a course includes besides its sessions, checked: items of the
    organization's price list in the course's currency, each once, 1 to 100 of each."""
    out: list[tuple[PriceItem, int]] = []
    seen: set[int] = set()
    for n, comp in enumerate(components):
        item_id: Any = (
            comp.get("item_id") if isinstance(comp, dict) else getattr(comp, "item_id", 0)
        )
        quantity = comp.get("quantity") if isinstance(comp, dict) else getattr(comp, "quantity", 0)
        where = f"components[{n}]"
        try:
            item = PriceItem.objects.for_org(actor.org_id).filter(pk=int(item_id)).first()
        except (TypeError, ValueError):
            item = None
        if item is None:
            raise missing(f"{where}.item_id", _("No price item with id %s.") % item_id)
        if item.kind == ServiceKind.SESSION:
            raise Invalid.field(
                f"{where}.item_id",
                _("Sessions of the course's protocol are its sessions, not an extra service."),
            )
        if item.currency != currency or item.pk in seen:
            raise Invalid.field(
                f"{where}.item_id",
                _("Each service once, priced in the course's currency."),
            )
        if not isinstance(quantity, int) or not 1 <= quantity <= 100:
            raise Invalid.field(f"{where}.quantity", _("Between 1 and 100."))
        seen.add(item.pk)
        out.append((item, quantity))
    return out


@transaction.atomic
def create_offer(
    actor: Actor,
    *,
    name: str,
    protocol_id: Any,
    sessions: int,
    price: Any,
    currency: str = "EUR",
    validity_days: int = 365,
    max_instalments: int = 1,
    tax_category: str = "E",
    tax_rate: Any = 0,
    exemption_code: str = "",
    exemption_reason: str = "",
    components: Sequence[Any] = (),
    channel: str = "api",
) -> PackageOffer:
    """A course for sale: `sessions` of a protocol, and optionally a set of other services
    (`components`: [{item_id, quantity}], e.g. one consultation and two add-ons)."""
    actor.require(Perm.PRICE_MANAGE)
    code = currency_code(currency)
    price_ = amount_in(price, code, "price")
    category, rate = check_tax(tax_category, tax_rate, exemption_reason)
    protocol = _protocol(actor, protocol_id)
    if protocol is None:
        raise Invalid.field("protocol_id", _("A package is a course of one protocol."))
    offer = PackageOffer(
        organization_id=actor.org_id,
        name=(name or "").strip(),
        protocol=protocol,
        sessions=sessions,
        price=price_,
        currency=code,
        validity_days=validity_days,
        max_instalments=max_instalments,
        tax_category=category,
        tax_rate=rate,
        exemption_code=(exemption_code or "").strip(),
        exemption_reason=(exemption_reason or "").strip(),
        created_by=actor.user,
    )
    full_clean_or_invalid(offer, exclude=["organization", "created_by"])
    included = _components(actor, components, code)
    offer.save()
    PackageOfferItem.objects.bulk_create(
        PackageOfferItem(organization_id=actor.org_id, offer=offer, item=item, quantity=qty)
        for item, qty in included
    )
    record(
        actor,
        AuditAction.CREATE,
        offer,
        summary=f"package offer {offer.name}: {sessions} sessions"
        + "".join(f" + {qty} × {item.code}" for item, qty in included)
        + f" for {price_} {code}",
        channel=channel,
    )
    return offer


@transaction.atomic
def update_offer(
    actor: Actor, offer: PackageOffer, changes: dict[str, Any], *, channel: str = "api"
) -> PackageOffer:
    """Rename, withdraw or change validity and instalments; the price and sessions of an
    offer never change (packages already sold keep their own snapshot): make a new offer."""
    actor.require(Perm.PRICE_MANAGE)
    locked = get_for_org(
        PackageOffer, actor.org_id, offer.pk, queryset=PackageOffer.objects.select_for_update()
    )
    diff: dict[str, Any] = {}
    for field in OFFER_FIELDS:
        if field in changes:
            value = changes[field]
            if field == "name":
                value = (value or "").strip()
            if getattr(locked, field) != value:
                diff[field] = [getattr(locked, field), value]
                setattr(locked, field, value)
    full_clean_or_invalid(locked, exclude=["organization", "created_by"])
    locked.save()
    record(
        actor,
        AuditAction.UPDATE,
        locked,
        summary=f"package offer {locked.name}",
        changes=diff,
        channel=channel,
    )
    return get_offer(actor, locked.pk)


REVISED_FIELDS = ("name", "sessions", "price", "validity_days", "max_instalments")


@transaction.atomic
def revise_offer(
    actor: Actor, offer: PackageOffer, changes: dict[str, Any], *, channel: str = "api"
) -> PackageOffer:
    """A new version of a course offer with a new price or number of sessions: a new offer
    with the old one's terms and these changes, on sale from now; the old one is withdrawn
    (no new sales). Packages already sold keep the terms they were sold at."""
    actor.require(Perm.PRICE_MANAGE)
    locked = get_for_org(
        PackageOffer, actor.org_id, offer.pk, queryset=PackageOffer.objects.select_for_update()
    )
    if not locked.active:
        raise Conflict("offer_withdrawn", _("This course is withdrawn; add a new course instead."))
    terms = {f: changes.get(f, getattr(locked, f)) for f in REVISED_FIELDS}
    if all(terms[f] == getattr(locked, f) for f in REVISED_FIELDS):
        raise Invalid.field("price", _("Change the price or the sessions for a new version."))
    new = create_offer(
        actor,
        **terms,
        protocol_id=locked.protocol_id,
        currency=locked.currency,
        tax_category=locked.tax_category,
        tax_rate=locked.tax_rate,
        exemption_code=locked.exemption_code,
        exemption_reason=locked.exemption_reason,
        components=[
            {"item_id": c.item_id, "quantity": c.quantity} for c in locked.components.all()
        ],
        channel=channel,
    )
    locked.active = False
    locked.save(update_fields=["active"])
    record(
        actor,
        AuditAction.UPDATE,
        locked,
        summary=f"package offer {locked.name} replaced by offer {new.pk}",
        changes={
            "active": [True, False],
            "replaced_by": [None, new.pk],
            **{
                f: [str(getattr(locked, f)), str(terms[f])]
                for f in REVISED_FIELDS
                if terms[f] != getattr(locked, f)
            },
        },
        channel=channel,
    )
    return get_offer(actor, new.pk)


def _snapshot(offer: PackageOffer) -> dict[str, Any]:
    return {
        "offer_id": offer.pk,
        "name": offer.name,
        "protocol_id": offer.protocol_id,
        "sessions": offer.sessions,
        "price": str(offer.price),
        "currency": offer.currency,
        "validity_days": offer.validity_days,
        "tax_category": offer.tax_category,
        "tax_rate": str(offer.tax_rate),
        "exemption_code": offer.exemption_code,
        "exemption_reason": offer.exemption_reason,
        "components": [
            {"item_id": c.item_id, "name": c.item.name, "quantity": c.quantity}
            for c in offer.components.select_related("item")
        ],
    }


@transaction.atomic
def sell_package(
    actor: Actor,
    *,
    patient_id: Any,
    offer_id: Any,
    location_id: Any,
    instalments: int = 1,
    series: str | None = None,
    channel: str = "api",
) -> PatientPackage:
    """Sell a course: the package and its invoice (the full package price) in one
    transaction. Instalments are partial payments against that invoice."""
    actor.require(Perm.BILLING_CHARGE)
    patient = _patient(actor, patient_id)
    location = _location(actor, location_id)
    offer = PackageOffer.objects.for_org(actor.org_id).filter(pk=offer_id).first()
    if offer is None:
        raise missing("offer_id", _("No package offer with id %s.") % offer_id)
    if not offer.active:
        raise Invalid.field("offer_id", _("This package is no longer sold."))
    if not isinstance(instalments, int) or not 1 <= instalments <= offer.max_instalments:
        raise Invalid.field(
            "instalments",
            _("This package can be paid in 1 to %(n)s instalments.") % {"n": offer.max_instalments},
        )
    now = timezone.now()
    today = timezone.localtime(now, location.tz).date()
    package = PatientPackage.objects.create(
        organization_id=actor.org_id,
        patient=patient,
        offer=offer,
        offer_snapshot=_snapshot(offer),
        protocol_id=offer.protocol_id,
        sessions_total=offer.sessions,
        price=offer.price,
        currency=offer.currency,
        instalments=instalments,
        sold_at=now,
        expires_on=today + dt.timedelta(days=offer.validity_days),
        sold_by=actor.user,
    )
    _allowances(actor, package, offer)
    invoice = issue_invoice(
        actor,
        patient=patient,
        location=location,
        kind=InvoiceKind.PACKAGE,
        currency=offer.currency,
        specs=[
            LineSpec(
                description=_("%(name)s — course of %(n)s sessions")
                % {"name": offer.name, "n": offer.sessions},
                quantity=Decimal(1),
                unit_price=offer.price,
                tax_category=offer.tax_category,
                tax_rate=offer.tax_rate,
                exemption_code=offer.exemption_code,
                exemption_reason=offer.exemption_reason,
                package=package,
            )
        ],
        series=series,
        source_package=package,
        channel=channel,
    )
    PatientPackage.objects.filter(pk=package.pk).update(invoice=invoice)
    package.invoice = invoice
    record(
        actor,
        AuditAction.CREATE,
        package,
        patient_id=patient.pk,
        summary=f"sold package {offer.name} ({offer.sessions} sessions), "
        f"invoice {invoice.display_number}",
        channel=channel,
    )
    return package


def _allowances(actor: Actor, package: PatientPackage, offer: PackageOffer) -> None:
    """What the course paid of each included service, with its list price when sold (the
    weight of a used service when a cancelled course is refunded)."""
    components = list(offer.components.select_related("item"))
    if not components:
        return
    session = session_item(actor.org_id, offer.protocol_id)
    package.offer_snapshot["session_value"] = str(price_at(session).amount) if session else "0"
    PatientPackage.objects.filter(pk=package.pk).update(offer_snapshot=package.offer_snapshot)
    PackageAllowance.objects.bulk_create(
        PackageAllowance(
            organization_id=actor.org_id,
            package=package,
            item=c.item,
            name=c.item.name,
            quantity_total=c.quantity,
            unit_value=_list_price(c.item),
        )
        for c in components
    )


def _list_price(item: PriceItem) -> Decimal:
    try:
        return price_at(item).amount
    except Conflict:
        return Decimal(0)


def instalment_plan(package: PatientPackage) -> list[Decimal]:
    """The instalments of the package's invoice total, as even as the minor unit allows."""
    total = package.invoice.gross_total if package.invoice_id else package.price  # type: ignore[union-attr]
    return money.split_evenly(total, package.instalments, package.currency)


def package_queryset(org_id: int) -> models.QuerySet[PatientPackage]:
    return (
        PatientPackage.objects.for_org(org_id)
        .select_related("protocol", "invoice", "offer")
        .prefetch_related("allowances")
    )


def _weighted_units(package: PatientPackage) -> tuple[int, int]:
    """(paid, used) of a course, in cents of list price when it includes other services
    (each session weighs its session price when sold, each service its list price), else in
    sessions."""
    allowances = list(package.allowances.all())
    if not allowances:
        return package.sessions_total, package.sessions_used
    session = int(Decimal(package.offer_snapshot.get("session_value") or 0) * 100)
    total = package.sessions_total * session + sum(
        a.quantity_total * int(a.unit_value * 100) for a in allowances
    )
    used = package.sessions_used * session + sum(
        a.quantity_used * int(a.unit_value * 100) for a in allowances
    )
    if total <= 0:  # nothing priced: count the services
        total = package.sessions_total + sum(a.quantity_total for a in allowances)
        used = package.sessions_used + sum(a.quantity_used for a in allowances)
    return total, used


def patient_packages(
    actor: Actor, patient_id: Any, *, channel: str = "api"
) -> list[PatientPackage]:
    actor.require(Perm.BILLING_VIEW)
    patient = get_for_org(Patient, actor.org_id, patient_id)
    rows = list(package_queryset(actor.org_id).filter(patient=patient).order_by("-sold_at", "-id"))
    record_list_read(
        actor,
        "billing.patientpackage",
        [patient.pk],
        patient_id=patient.pk,
        summary="packages of the patient",
        channel=channel,
    )
    return rows


def effective_status(package: PatientPackage, today: dt.date | None = None) -> str:
    """The stored status, or `expired` once an active package passed its expiry date."""
    today = today or timezone.localdate()
    if package.status == PackageStatus.ACTIVE and package.expires_on < today:
        return PackageStatus.EXPIRED
    return package.status


def consume_for_signed_session(
    actor: Actor, session: TreatmentSession
) -> PackageConsumption | None:
    """Called by charting inside the signing transaction: one session of the patient's active
    package for the session's protocol (the one expiring first) is used. A session consumes at
    most once (a unique row per session), so signing twice or concurrently cannot use two."""
    if session.protocol_id is None:
        return None
    existing = PackageConsumption.objects.filter(session_id=session.pk).first()
    if existing is not None:
        return existing
    on = timezone.localtime(session.signed_at or timezone.now()).date()
    package = (
        PatientPackage.objects.select_for_update()
        .filter(
            organization_id=session.organization_id,
            patient_id=session.patient_id,
            protocol_id=session.protocol_id,
            status=PackageStatus.ACTIVE,
            expires_on__gte=on,
            sessions_used__lt=models.F("sessions_total"),
        )
        .order_by("expires_on", "sold_at", "id")
        .first()
    )
    if package is None:
        return None
    use = PackageConsumption.objects.create(
        organization_id=session.organization_id, package=package, session_id=session.pk
    )
    package.sessions_used += 1
    fields = ["sessions_used"]
    if package.sessions_used >= package.sessions_total:
        package.status = PackageStatus.USED_UP
        fields.append("status")
    package.save(update_fields=fields)
    record(
        actor,
        AuditAction.UPDATE,
        package,
        patient_id=package.patient_id,
        summary=f"package session {package.sessions_used} of {package.sessions_total} "
        f"used by session {session.pk}",
        changes={"sessions_used": [package.sessions_used - 1, package.sessions_used]},
        channel="system",
    )
    return use


def refund_due(package: PatientPackage) -> tuple[Decimal, dict[str, Any]]:
    """The net amount to credit for the unused sessions under the current policy, and the
    policy terms used (recorded with the cancellation)."""
    policy = current_policy(package.organization_id)
    if package.invoice_id is None:
        return Decimal(0), {}
    line = InvoiceLine.objects.filter(invoice_id=package.invoice_id).order_by("position").first()
    if line is None:
        return Decimal(0), {}
    fee_net = Decimal(0)
    terms: dict[str, Any] = {"policy": None, "refund_policy": RefundPolicy.PRO_RATA}
    if policy is not None:
        terms = {"policy": policy.version, "refund_policy": policy.refund_policy}
        if policy.refund_policy == RefundPolicy.FEE:
            fee_net = money.net_of(policy.fee_amount, line.tax_rate, package.currency)
    total, used = _weighted_units(package)
    split = money.course_refund(line.net_amount, total, used, fee_net, package.currency)
    if split.fee > 0 and policy is not None:
        terms["fee"] = str(policy.fee_amount)
        terms["fee_net_kept"] = str(split.fee)
    net = split.refund
    return net, terms


@transaction.atomic
def cancel_package(
    actor: Actor,
    patient_id: Any,
    package_id: Any,
    *,
    reason: str,
    refund_method: str | None = None,
    location_id: Any = None,
    reference: str = "",
    channel: str = "api",
) -> PatientPackage:
    """Cancel a course: a credit note on its invoice for the unused sessions (pro rata, or less
    the policy's fee). With `refund_method`, the money goes back at once: a refund (a negative
    payment) against that credit note of what the patient paid and is owed, never more than
    the credit note or the patient's credit (`package.refund` is that payment, or None)."""
    actor.require(Perm.CREDIT_ISSUE)
    patient = get_for_org(Patient, actor.org_id, patient_id)
    package = get_for_org(
        PatientPackage,
        actor.org_id,
        package_id,
        queryset=PatientPackage.objects.select_for_update().filter(patient=patient),
    )
    if package.status == PackageStatus.CANCELLED:
        raise Conflict("already_cancelled", _("This course is already cancelled."))
    if not (reason or "").strip():
        raise Invalid.field("reason", _("State why the course is cancelled."))
    net, terms = refund_due(package)
    note: CreditNote | None = None
    invoice = (
        Invoice.objects.select_related("location").filter(pk=package.invoice_id).first()
        if package.invoice_id is not None
        else None
    )
    if net > 0 and invoice is not None:
        line = InvoiceLine.objects.filter(invoice=invoice).order_by("position").first()
        assert line is not None
        gross_cap = creditable(invoice)
        spec = LineSpec(
            description=_("%(name)s — %(n)s unused sessions")
            % {
                "name": package.offer_snapshot.get("name", ""),
                "n": package.sessions_total - package.sessions_used,
            },
            quantity=Decimal(1),
            unit_price=net,
            tax_category=line.tax_category,
            tax_rate=line.tax_rate,
            exemption_code=line.exemption_code,
            exemption_reason=line.exemption_reason,
            invoice_line=line,
        )
        gross = net + money.vat_amount(net, line.tax_rate, invoice.currency)
        if gross > gross_cap:  # an earlier credit note already took part of the invoice
            spec.unit_price = money.net_of(gross_cap, line.tax_rate, invoice.currency)
        if spec.unit_price > 0:
            note = issue_credit(actor, invoice, [spec], reason, channel)
    if refund_method:
        _method_ok(refund_method)
    package.status = PackageStatus.CANCELLED
    package.cancelled_at = timezone.now()
    package.credit_note = note
    package.save(update_fields=["status", "cancelled_at", "credit_note"])
    record(
        actor,
        AuditAction.UPDATE,
        package,
        patient_id=patient.pk,
        summary=f"cancelled package {package.pk}: {reason}",
        changes={
            "status": ["active", "cancelled"],
            "credit_note": [None, note.pk if note else None],
            **{k: [None, v] for k, v in terms.items()},
        },
        channel=channel,
    )
    package.refund = None  # type: ignore[attr-defined]
    if refund_method and note is not None:
        owed = min(note.gross_total, payments.balance_of(actor.org_id, patient.pk).credit)
        if owed > 0:
            package.refund = payments.record_refund(  # type: ignore[attr-defined]
                actor,
                amount=owed,
                method=refund_method,
                location_id=location_id if location_id is not None else note.location_id,
                credit_note_id=note.pk,
                reference=reference,
                channel=channel,
            )
    return package


def _method_ok(method: str) -> None:
    if method not in PaymentMethod.values:
        raise Invalid.field("refund_method", _("Choose how the money goes back."))
