"""The demo clinic's till: a price list (consultation, a session of every protocol the demo's
courses use, add-ons, retail products), package offers, a cancellation policy, a course sold as
a package to a patient whose course is under way (its next signed session uses it), the day's
visit invoices with their payments, a retail sale — so the takings of today have something to
show. Idempotent: nothing is added when the price list exists. Everything goes through the
billing services, as a desk would do it."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models
from django.utils import timezone

from mesocare.billing.models import Invoice, PriceItem
from mesocare.billing.services import invoicing, packages, payments, prices
from mesocare.billing.services.invoicing import ItemRequest
from mesocare.catalog.models import Protocol
from mesocare.charting.models import TreatmentSession
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership
from mesocare.plans.choices import PlanStatus
from mesocare.plans.models import TreatmentPlan
from mesocare.scheduling.choices import AppointmentStatus
from mesocare.scheduling.models import Appointment

MEDICAL: dict[str, Any] = {
    "tax_category": "E",
    "exemption_code": "VATEX-EU-132-1C",
    "exemption_reason": (
        "Operazione esente art. 10 n. 18 DPR 633/1972 — medical care "
        "(Art. 132(1)(c) Directive 2006/112/EC)"
    ),
}
RETAIL: dict[str, Any] = {"tax_category": "S", "tax_rate": "22"}
SESSION_PRICE = Decimal("120.00")
VISITS_TODAY = 6
METHODS = ("card_terminal", "cash", "card_terminal", "bank_transfer", "card_terminal", "voucher")


@dataclass
class TillResult:
    price_items: int = 0
    offers: int = 0
    packages_sold: int = 0
    invoices: int = 0
    payments: int = 0


def load_till(memberships: dict[str, Membership], locations: list[Location]) -> TillResult:
    admin = Actor(membership=memberships["admin"])
    desk = Actor(membership=memberships["desk"])
    result = TillResult()
    if PriceItem.objects.for_org(admin.org_id).exists():
        return result
    home = locations[0]
    prices.create_price_item(
        admin, code="consultation", name="First consultation and assessment",
        kind="consultation", amount="80.00", **MEDICAL,
    )  # fmt: skip
    prices.create_price_item(
        admin, code="follow-up", name="Follow-up visit", kind="consultation", amount="50.00",
        **MEDICAL,
    )  # fmt: skip
    cream = prices.create_price_item(
        admin, code="anaesthetic-cream", name="Topical anaesthetic", kind="addon",
        amount="15.00", **MEDICAL,
    )  # fmt: skip
    serum = prices.create_price_item(
        admin, code="aftercare-serum", name="Aftercare serum 30 ml", kind="product",
        amount="28.69", **RETAIL,
    )  # fmt: skip
    prices.create_price_item(
        admin, code="spf50", name="Mineral sunscreen SPF 50", kind="product", amount="20.49",
        **RETAIL,
    )  # fmt: skip
    result.price_items = 5
    plans = TreatmentPlan.objects.for_org(admin.org_id).select_related("protocol")
    protocol_ids = sorted(set(plans.values_list("protocol_id", flat=True)))
    for protocol in Protocol.objects.filter(pk__in=protocol_ids).order_by("name"):
        sessions = (
            plans.filter(protocol=protocol).aggregate(n=models.Max("sessions_planned"))["n"] or 6
        )
        prices.create_price_item(
            admin, code=f"session-{protocol.pk}", name=f"Session: {protocol.name}",
            kind="session", amount=SESSION_PRICE, protocol_id=protocol.pk,
            deposit_kind="percent", deposit_value="25", **MEDICAL,
        )  # fmt: skip
        # A course bought up front saves about one session in six.
        course_price = SESSION_PRICE * sessions * Decimal("0.85")
        packages.create_offer(
            admin, name=f"{protocol.name} — course of {sessions}", protocol_id=protocol.pk,
            sessions=sessions, price=course_price.quantize(Decimal("1")), validity_days=365,
            max_instalments=3, **MEDICAL,
        )  # fmt: skip
        result.price_items += 1
        result.offers += 1
    prices.set_cancellation_policy(
        admin, late_cancel_hours=24, forfeit_on_no_show=True, forfeit_on_late_cancel=True,
        refund_policy="fee", fee_amount="30.00",
    )  # fmt: skip

    # A course under way, paid as a package: what its future sessions still need.
    now = timezone.now()
    active = (
        plans.filter(status=PlanStatus.ACTIVE)
        .filter(
            pk__in=Appointment.objects.for_org(admin.org_id)
            .filter(start__gt=now, status=AppointmentStatus.BOOKED)
            .values("plan_id")
        )
        .order_by("id")
        .first()
    )
    if active is not None:
        offer = packages.list_offers(admin).filter(protocol_id=active.protocol_id).first()
        if offer is not None:
            package = packages.sell_package(
                desk, patient_id=active.patient_id, offer_id=offer.pk, location_id=home.pk,
                instalments=3,
            )  # fmt: skip
            first = packages.instalment_plan(package)[0]
            payments.record_payment(
                desk, amount=first, method="card_terminal", location_id=home.pk,
                invoice_id=package.invoice_id, reference="POS 1001",
            )  # fmt: skip
            result.packages_sold = 1
            result.payments += 1

    # Today's visits: the latest signed sessions not yet invoiced, checked out at the desk.
    invoiced = Invoice.objects.for_org(admin.org_id).filter(source_session__isnull=False)
    recent = (
        TreatmentSession.objects.for_org(admin.org_id)
        .filter(signed_at__isnull=False, location=home)
        .exclude(pk__in=invoiced.values("source_session_id"))
        .order_by("-signed_at", "-id")[:VISITS_TODAY]
    )
    for n, session in enumerate(recent):
        items = [ItemRequest(cream.pk)] if n % 2 == 0 else []
        invoice = invoicing.issue_visit_invoice(desk, session_id=session.pk, items=items)
        result.invoices += 1
        if invoice.amount_due > 0 and n != 1:  # one visit left to pay later
            payments.record_payment(
                desk, amount=invoice.amount_due, method=METHODS[n % len(METHODS)],
                location_id=home.pk, invoice_id=invoice.pk, reference=f"Z-{n + 1:03d}",
            )  # fmt: skip
            result.payments += 1
    buyer = (
        TreatmentSession.objects.for_org(admin.org_id).order_by("id").values("patient_id").first()
    )
    if buyer is not None:
        sale = invoicing.issue_retail_invoice(
            desk, patient_id=buyer["patient_id"], location_id=home.pk,
            items=[ItemRequest(serum.pk, Decimal(2))],
        )  # fmt: skip
        payments.record_payment(
            desk, amount=sale.amount_due, method="cash", location_id=home.pk, invoice_id=sale.pk
        )
        result.invoices += 1
        result.payments += 1
    result.invoices += result.packages_sold
    return result
