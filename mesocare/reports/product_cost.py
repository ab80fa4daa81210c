"""Product cost per session: what the products injected in the signed sessions of a period
cost, from their lots' unit costs.

Definitions (also on the page):
- a lot's *unit cost* is the cost of one mL of that lot (stock is counted in mL);
- a session's product cost = Σ over its cocktail components of volume (mL) × the lot's unit
  cost; a component of a lot without a unit cost is counted apart ("mL without a cost") so a
  missing cost never passes for a free product;
- sessions of the period are those signed on one of its local days (the session's location).

Three queries, whatever the number of sessions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from mesocare.charting.models import CocktailComponent, TreatmentSession
from mesocare.clinics.actor import Actor
from mesocare.core.business import CENT, local_day, month_of
from mesocare.reports.common import Filters, check, person

DIMENSIONS = ("protocol", "practitioner", "product", "month")


@dataclass
class CostRow:
    key: str
    sessions: int = 0
    volume_ml: Decimal = Decimal(0)
    cost: Decimal = Decimal(0)
    uncosted_ml: Decimal = Decimal(0)

    @property
    def per_session(self) -> Decimal | None:
        return (self.cost / self.sessions).quantize(CENT) if self.sessions else None

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "per_session": self.per_session}


def product_cost(actor: Actor, filters: Filters) -> dict[str, list[CostRow]]:
    """{"protocol" | "practitioner" | "product" | "month": [rows]}. A product row counts the
    sessions that used it; the other rows count every signed session of the period."""
    locations = check(actor, filters)
    start, end = filters.window()
    scope: dict[str, Any] = {"signed_at__gte": start, "signed_at__lt": end}
    scope["location_id__in"] = list(locations)
    if filters.practitioner_id is not None:
        scope["practitioner_id"] = filters.practitioner_id
    sessions: dict[int, dict[str, str]] = {}
    for pk, location_id, signed_at, protocol, full_name, email in (
        TreatmentSession.objects.for_org(actor.org_id)
        .filter(**scope)
        .values_list(
            "pk", "location_id", "signed_at", "protocol__name",
            "practitioner__user__full_name", "practitioner__user__email",
        )
    ):  # fmt: skip
        tz = locations[location_id].tz
        if signed_at is not None and filters.holds(signed_at, tz):
            sessions[pk] = {
                "protocol": protocol or "—",
                "practitioner": person(full_name, email),
                "month": month_of(local_day(signed_at, tz)),
            }
    groups: dict[str, dict[str, CostRow]] = {d: {} for d in DIMENSIONS}
    for keys in sessions.values():
        for dimension, key in keys.items():
            groups[dimension].setdefault(key, CostRow(key)).sessions += 1
    product_sessions: dict[str, set[int]] = defaultdict(set)
    components = CocktailComponent.objects.for_org(actor.org_id).filter(
        **{f"injection__session__{k}": v for k, v in scope.items()}
    )
    for session_id, volume, unit_cost, product in components.values_list(
        "injection__session_id", "volume_ml", "lot__unit_cost", "lot__product__name"
    ):
        of_session = sessions.get(session_id)
        if of_session is None:
            continue
        product_sessions[product].add(session_id)
        row_keys = {**of_session, "product": product}
        for dimension, key in row_keys.items():
            row = groups[dimension].setdefault(key, CostRow(key))
            row.volume_ml += volume
            if unit_cost is None:
                row.uncosted_ml += volume
            else:
                row.cost += volume * unit_cost
    for product, ids in product_sessions.items():
        groups["product"][product].sessions = len(ids)
    out: dict[str, list[CostRow]] = {}
    for dimension in DIMENSIONS:
        rows = list(groups[dimension].values())
        for row in rows:
            row.cost = row.cost.quantize(CENT)
        if dimension == "month":
            rows.sort(key=lambda r: r.key)
        else:
            rows.sort(key=lambda r: (-r.cost, r.key))
        out[dimension] = rows
    return out


CSV_HEADER = (
    "dimension", "key", "sessions", "volume_ml", "cost", "cost_per_session", "uncosted_ml",
)  # fmt: skip


def csv_rows(report: dict[str, list[CostRow]]) -> list[tuple[Any, ...]]:
    return [
        (d, r.key, r.sessions, r.volume_ml, r.cost, r.per_session or "", r.uncosted_ml)
        for d, rows in report.items()
        for r in rows
    ]
