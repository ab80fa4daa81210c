"""Courses sold as packages: sold and consumed in a period, and what is outstanding at its end
(deferred revenue), per offer and per month.

Definitions (also on the page):
- *sold*: packages whose sale falls on a local day of the period (the zone of the location
  that invoiced them), with their price net of VAT;
- *consumed*: package sessions used by a session signed in the period, each worth the
  package's price / sessions;
- *outstanding* at the end of the period: the unused sessions of the packages sold by then and
  neither cancelled nor expired by then; *deferred revenue* = the part of what was paid for
  them (net of VAT) not yet earned by used sessions (`mesocare.core.business.deferred_value`).

Four queries, whatever the number of packages.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q

from mesocare.billing.models import PackageConsumption, PatientPackage, Payment
from mesocare.clinics.actor import Actor
from mesocare.core.business import CENT, deferred_value, local_day, month_of, session_value
from mesocare.reports.common import Filters, check


@dataclass
class PackageRow:
    key: str
    currency: str
    sold: int = 0
    sold_value: Decimal = Decimal(0)
    consumed: int = 0
    consumed_value: Decimal = Decimal(0)
    outstanding_sessions: int = 0
    deferred: Decimal = Decimal(0)

    def rounded(self) -> PackageRow:
        self.sold_value = self.sold_value.quantize(CENT)
        self.consumed_value = self.consumed_value.quantize(CENT)
        self.deferred = self.deferred.quantize(CENT)
        return self

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def package_report(actor: Actor, filters: Filters) -> dict[str, list[PackageRow]]:
    """{"offer": [rows by offer name], "month": [rows by month]}; outstanding figures are on the
    offer rows (a month row has none)."""
    locations = check(actor, filters)
    fallback = next(iter(locations.values()), None)
    _start, end = filters.window()
    qs = PatientPackage.objects.for_org(actor.org_id).filter(sold_at__lt=end)
    if filters.location_id is not None:
        qs = qs.filter(invoice__location_id=filters.location_id)
    packages = list(
        qs.values(
            "pk", "offer__name", "price", "currency", "sessions_total", "sold_at",
            "cancelled_at", "expires_on", "invoice_id", "invoice__location_id",
            "invoice__net_total", "invoice__gross_total",
        )
    )  # fmt: skip
    ids = [p["pk"] for p in packages]
    uses: dict[int, list[Any]] = defaultdict(list)
    for package_id, consumed_at in PackageConsumption.objects.filter(
        organization_id=actor.org_id, package_id__in=ids, consumed_at__lt=end
    ).values_list("package_id", "consumed_at"):
        uses[package_id].append(consumed_at)
    paid: dict[int, list[tuple[Any, Decimal]]] = defaultdict(list)
    invoice_ids = [p["invoice_id"] for p in packages if p["invoice_id"]]
    for invoice_id, received_at, amount in Payment.objects.filter(
        Q(invoice_id__in=invoice_ids), organization_id=actor.org_id, received_at__lt=end
    ).values_list("invoice_id", "received_at", "amount"):
        paid[invoice_id].append((received_at, amount))

    offers: dict[str, PackageRow] = {}
    months: dict[str, PackageRow] = {}
    for p in packages:
        location = locations.get(p["invoice__location_id"]) or fallback
        if location is None:
            continue
        tz = location.tz
        sold_day = local_day(p["sold_at"], tz)
        if sold_day > filters.date_to:
            continue
        cur = p["currency"]
        offer = offers.setdefault(p["offer__name"], PackageRow(p["offer__name"], cur))
        value = session_value(p["price"], p["sessions_total"])
        if filters.date_from <= sold_day:
            month = months.setdefault(month_of(sold_day), PackageRow(month_of(sold_day), cur))
            for row in (offer, month):
                row.sold += 1
                row.sold_value += p["price"]
        used_by_end = 0
        for consumed_at in uses[p["pk"]]:
            day = local_day(consumed_at, tz)
            if day > filters.date_to:
                continue
            used_by_end += 1
            if day >= filters.date_from:
                month = months.setdefault(month_of(day), PackageRow(month_of(day), cur))
                for row in (offer, month):
                    row.consumed += 1
                    row.consumed_value += value
        cancelled = p["cancelled_at"] is not None and local_day(p["cancelled_at"], tz) <= (
            filters.date_to
        )
        if cancelled or p["expires_on"] < filters.date_to:
            continue
        gross = p["invoice__gross_total"] or Decimal(0)
        net = p["invoice__net_total"] or Decimal(0)
        paid_gross = sum(
            (
                amount
                for at, amount in paid[p["invoice_id"]]
                if local_day(at, tz) <= filters.date_to
            ),
            Decimal(0),
        )
        paid_net = paid_gross * net / gross if gross else Decimal(0)
        offer.outstanding_sessions += p["sessions_total"] - used_by_end
        offer.deferred += deferred_value(p["price"], p["sessions_total"], used_by_end, paid_net)
    return {
        "offer": [offers[k].rounded() for k in sorted(offers)],
        "month": [months[k].rounded() for k in sorted(months)],
    }


CSV_HEADER = (
    "dimension", "key", "currency", "sold", "sold_value", "consumed", "consumed_value",
    "outstanding_sessions", "deferred_revenue",
)  # fmt: skip


def csv_rows(report: dict[str, list[PackageRow]]) -> list[tuple[Any, ...]]:
    return [
        (
            dimension, r.key, r.currency, r.sold, r.sold_value, r.consumed, r.consumed_value,
            r.outstanding_sessions if dimension == "offer" else "",
            r.deferred if dimension == "offer" else "",
        )
        for dimension, rows in report.items()
        for r in rows
    ]  # fmt: skip
