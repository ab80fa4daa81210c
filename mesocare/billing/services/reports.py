"""The day's takings (the Z report) per location and payment method, and the accountant's CSV
of a period's documents and payments. Days are the location's local days."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Q, Sum
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.billing.models import CreditNote, Invoice, Payment
from mesocare.billing.services.common import missing
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.core import money
from mesocare.errors import Invalid
from mesocare.lib.csv_export import csv_text

MAX_EXPORT_DAYS = 366


@dataclass
class MethodTakings:
    method: str
    count: int
    received: Decimal
    refunded: Decimal

    @property
    def net(self) -> Decimal:
        return self.received - self.refunded


@dataclass
class LocationTakings:
    location_id: int
    location: str
    timezone: str
    currency: str
    methods: list[MethodTakings] = field(default_factory=list)
    invoices_issued: int = 0
    invoiced_total: Decimal = Decimal(0)

    @property
    def total(self) -> Decimal:
        return sum((m.net for m in self.methods), Decimal(0))


def local_day_bounds(day: dt.date, tz: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) of the local day in UTC-aware datetimes (23 or 25 hours on DST days)."""
    start = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    return start, end


def takings(actor: Actor, day: dt.date, *, location_id: int | None = None) -> list[LocationTakings]:
    """The Z report: per location, what each payment method took in on the location's local
    day (refunds apart), and the invoices issued that day. Two queries per location."""
    actor.require(Perm.BILLING_VIEW)
    locations = Location.objects.for_org(actor.org_id).order_by("name", "id")
    if location_id is not None:
        locations = locations.filter(pk=location_id)
        if not locations.exists():
            raise missing("location", _("No location with id %s.") % location_id)
    report = []
    for location in locations:
        start, end = local_day_bounds(day, location.tz)
        rows = (
            Payment.objects.filter(
                organization_id=actor.org_id,
                location=location,
                received_at__gte=start,
                received_at__lt=end,
            )
            .values("method", "currency")
            .annotate(
                n=Count("id"),
                received=Sum("amount", filter=Q(amount__gt=0)),
                refunded=Sum("amount", filter=Q(amount__lt=0)),
            )
            .order_by("method", "currency")
        )
        issued = Invoice.objects.filter(
            organization_id=actor.org_id, location=location, issued_at__gte=start, issued_at__lt=end
        ).aggregate(n=Count("id"), s=Sum("gross_total"))
        found = list(rows)
        currency = found[0]["currency"] if found else "EUR"
        entry = LocationTakings(
            location.pk,
            location.name,
            location.timezone,
            currency,
            invoices_issued=issued["n"] or 0,
            invoiced_total=money.round_money(issued["s"] or 0, currency),
        )
        for row in found:
            entry.methods.append(
                MethodTakings(
                    row["method"],
                    row["n"],
                    money.round_money(row["received"] or 0, currency),
                    -money.round_money(row["refunded"] or 0, currency),
                )
            )
        report.append(entry)
    return report


EXPORT_HEADER = (
    "date",
    "time",
    "location",
    "document",
    "number",
    "patient_id",
    "patient",
    "kind_or_method",
    "reference",
    "currency",
    "net",
    "vat",
    "total",
)


def export_csv(actor: Actor, date_from: dt.date, date_to: dt.date, *, channel: str = "api") -> str:
    """Every invoice, credit note and payment of the period (local dates of each location),
    one row each, for the accountant. The export is audited (it names patients)."""
    actor.require(Perm.BILLING_VIEW)
    if date_to < date_from:
        raise Invalid.field("to", _("The end comes before the start."))
    if (date_to - date_from).days >= MAX_EXPORT_DAYS:
        raise Invalid.field("to", _("Export at most one year at a time."))
    rows: list[tuple[Any, ...]] = []
    locations = {loc.pk: loc for loc in Location.objects.for_org(actor.org_id)}
    lo = dt.datetime.combine(date_from - dt.timedelta(days=1), dt.time(0), tzinfo=dt.UTC)
    hi = dt.datetime.combine(date_to + dt.timedelta(days=2), dt.time(0), tzinfo=dt.UTC)

    def local(when: dt.datetime, location_id: int) -> dt.datetime:
        return when.astimezone(locations[location_id].tz)

    def name(p: Any) -> str:
        return f"{p.family_name} {p.given_name}"

    for inv in (
        Invoice.objects.for_org(actor.org_id)
        .filter(issued_at__gte=lo, issued_at__lt=hi)
        .select_related("patient")
        .order_by("issued_at", "id")
    ):
        at = local(inv.issued_at, inv.location_id)
        if date_from <= at.date() <= date_to:
            rows.append(
                (
                    at.date(),
                    at.strftime("%H:%M"),
                    locations[inv.location_id].name,
                    "invoice",
                    inv.display_number,
                    inv.patient_id,
                    name(inv.patient),
                    inv.kind,
                    "",
                    inv.currency,
                    inv.net_total,
                    inv.tax_total,
                    inv.gross_total,
                )
            )
    for note in (
        CreditNote.objects.for_org(actor.org_id)
        .filter(issued_at__gte=lo, issued_at__lt=hi)
        .select_related("patient", "invoice")
        .order_by("issued_at", "id")
    ):
        at = local(note.issued_at, note.location_id)
        if date_from <= at.date() <= date_to:
            rows.append(
                (
                    at.date(),
                    at.strftime("%H:%M"),
                    locations[note.location_id].name,
                    "credit_note",
                    note.display_number,
                    note.patient_id,
                    name(note.patient),
                    "",
                    note.invoice.display_number,
                    note.currency,
                    -note.net_total,
                    -note.tax_total,
                    -note.gross_total,
                )
            )
    for pay in (
        Payment.objects.for_org(actor.org_id)
        .filter(received_at__gte=lo, received_at__lt=hi)
        .select_related("patient")
        .order_by("received_at", "id")
    ):
        at = local(pay.received_at, pay.location_id)
        if date_from <= at.date() <= date_to:
            rows.append(
                (
                    at.date(),
                    at.strftime("%H:%M"),
                    locations[pay.location_id].name,
                    "payment" if pay.amount > 0 else "refund",
                    pay.pk,
                    pay.patient_id,
                    name(pay.patient),
                    pay.method,
                    pay.reference,
                    pay.currency,
                    "",
                    "",
                    pay.amount,
                )
            )
    rows.sort(key=lambda r: (r[0], r[1]))
    record(
        actor,
        AuditAction.EXPORT,
        None,
        object_type="billing.export",
        summary=f"till export {date_from}–{date_to}: {len(rows)} rows",
        channel=channel,
        patient_ids=sorted({r[5] for r in rows}),
    )
    return csv_text(EXPORT_HEADER, rows)
