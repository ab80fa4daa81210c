"""Stock over the API: lots (receive, list, movements), recalls and their recipients."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Query, Router, Schema, Status

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.inventory_schemas import (
    AlertsOut,
    LotDetail,
    LotIn,
    LotOut,
    LotQuery,
    MovementIn,
    MovementOut,
    RecallIn,
    RecipientOut,
    StockSettingIn,
    StockSettingOut,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.catalog.models import Product
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Invalid, NotFound
from mesocare.inventory.models import ProductLot, StockMovement
from mesocare.inventory.services import alerts, recall, stock

router = Router(tags=["inventory"])


def lot_out(lot: ProductLot) -> dict[str, Any]:
    return {
        "id": lot.pk,
        "product": lot.product_id,
        "product_name": lot.product.name,
        "location": lot.location_id,
        "location_name": lot.location.name,
        "lot_number": lot.lot_number,
        "expiry": lot.expiry,
        "supplier": lot.supplier,
        "gtin": lot.gtin,
        "received_ml": lot.received_ml,
        "unit_cost": lot.unit_cost,
        "on_hand": lot.on_hand_ml,
        "recalled": lot.recalled,
        "recalled_at": lot.recalled_at,
        "recall_reason": lot.recall_reason,
    }


def movement_out(m: StockMovement) -> dict[str, Any]:
    return {
        "id": m.pk,
        "lot": m.lot_id,
        "kind": m.kind,
        "quantity_ml": m.quantity_ml,
        "reason": m.reason,
        "injection_component": m.injection_component_id,
        "by": m.by.email,
        "at": m.at,
    }


def _location(actor: Any, pk: int) -> Location:
    location = Location.objects.for_org(actor.org_id).filter(pk=pk).first()
    if location is None:
        # Another organization's location is as absent as one that never existed: 404.
        raise NotFound("not_found", f"No location with id {pk}.")
    return location


@router.post("/lots", response={201: LotOut, **PROBLEM_RESPONSES}, summary="Receive stock")
@requires(Perm.STOCK_EDIT)
def receive(request: HttpRequest, payload: LotIn) -> Status:
    actor = actor_of(request)
    location = _location(actor, payload.location)
    product = None
    if payload.product is not None:
        product = stock.visible_products(actor).filter(pk=payload.product).first()
        if product is None:
            raise Invalid.field("product", f"No product with id {payload.product}.")
    if payload.gs1 is not None:
        lot = stock.receive_scanned(
            actor,
            scan=payload.gs1,
            location=location,
            quantity_ml=payload.quantity,
            product=product,
            supplier=payload.supplier,
            unit_cost=payload.unit_cost,
            today=timezone.localdate(timezone=location.tz),
        )
    else:
        assert isinstance(product, Product)
        assert payload.lot_number is not None and payload.expiry is not None
        lot = stock.receive_stock(
            actor,
            product=product,
            location=location,
            lot_number=payload.lot_number,
            expiry=payload.expiry,
            quantity_ml=payload.quantity,
            supplier=payload.supplier,
            unit_cost=payload.unit_cost,
        )
    return Status(201, lot_out(stock.get_lot(actor, lot.pk)))


@router.get("/lots", response={200: list[LotOut], **PROBLEM_RESPONSES})
@requires(Perm.STOCK_VIEW)
def list_lots(request: HttpRequest, params: Query[LotQuery]) -> list[dict[str, Any]]:
    actor = actor_of(request)
    lots = stock.list_lots(
        actor,
        product=params.product,
        location=params.location,
        include_empty=params.include_empty,
    )
    return [lot_out(lot) for lot in lots]


@router.get("/lots/{lot_id}", response={200: LotDetail, **PROBLEM_RESPONSES})
@requires(Perm.STOCK_VIEW)
def get_lot(request: HttpRequest, lot_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    lot = stock.get_lot(actor, lot_id)
    movements = lot.movements.select_related("by").order_by("at", "id")
    return {**lot_out(lot), "movements": [movement_out(m) for m in movements]}


@router.post(
    "/lots/{lot_id}/movements",
    response={201: MovementOut, **PROBLEM_RESPONSES},
    summary="Waste, adjust or return stock with a reason",
)
@requires(Perm.STOCK_EDIT)
def add_movement(request: HttpRequest, lot_id: int, payload: MovementIn) -> Status:
    actor = actor_of(request)
    lot = stock.get_lot(actor, lot_id)
    movement = stock.record_movement(
        actor, lot, kind=payload.kind, quantity_ml=payload.quantity_ml, reason=payload.reason
    )
    return Status(201, movement_out(movement))


@router.post("/lots/{lot_id}/recall", response={200: LotOut, **PROBLEM_RESPONSES})
@requires(Perm.STOCK_RECALL)
def recall_lot(request: HttpRequest, lot_id: int, payload: RecallIn) -> dict[str, Any]:
    actor = actor_of(request)
    lot = recall.recall_lot(actor, stock.get_lot(actor, lot_id), payload.reason)
    return lot_out(lot)


class NotifiedOut(Schema):
    queued: int


@router.post(
    "/lots/{lot_id}/notify-recipients",
    response={200: NotifiedOut, **PROBLEM_RESPONSES},
    summary="Queue a recall notice to every patient who received this recalled lot",
)
@requires(Perm.CLINICAL_EDIT)
def notify_recipients(request: HttpRequest, lot_id: int) -> dict[str, int]:
    actor = actor_of(request)
    return {"queued": recall.notify_recipients(actor, stock.get_lot(actor, lot_id))}


@router.get("/lots/{lot_id}/recipients", response={200: list[RecipientOut], **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def recipients(request: HttpRequest, lot_id: int) -> list[dict[str, Any]]:
    actor = actor_of(request)
    rows = recall.lot_recipients(actor, stock.get_lot(actor, lot_id))
    # Each row's own fields (all scalars): asdict's deep copy cost ~20 µs a row.
    return [vars(r) for r in rows]


@router.get(
    "/lots/{lot_id}/recipients.csv",
    response={200: None, **PROBLEM_RESPONSES},
    summary="Recall recipients as CSV",
)
@requires(Perm.CLINICAL_VIEW)
def recipients_csv(request: HttpRequest, lot_id: int) -> HttpResponse:
    actor = actor_of(request)
    lot = stock.get_lot(actor, lot_id)
    rows = recall.lot_recipients(actor, lot, export=True)
    response = HttpResponse(recall.recipients_csv(rows), content_type="text/csv; charset=utf-8")
    filename = f"recall-lot-{lot.pk}-{timezone.localdate():%Y%m%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@router.put(
    "/locations/{location_id}/stock-setting",
    response={200: StockSettingOut, **PROBLEM_RESPONSES},
    summary="Allow or forbid negative stock at a location (administrators)",
)
@requires(Perm.ORG_MANAGE)
def set_stock_setting(
    request: HttpRequest, location_id: int, payload: StockSettingIn
) -> dict[str, Any]:
    actor = actor_of(request)
    location = get_for_org(Location, actor.org_id, location_id)
    setting = stock.set_allow_negative(actor, location, payload.allow_negative)
    return {"location": location.pk, "allow_negative": setting.allow_negative}


@router.get("/stock/alerts", response={200: AlertsOut, **PROBLEM_RESPONSES})
@requires(Perm.STOCK_VIEW)
def stock_alerts(request: HttpRequest, location: int | None = None) -> dict[str, Any]:
    actor = actor_of(request)
    found = alerts.stock_alerts(actor, timezone.localdate(), location=location)
    return {
        "low_stock": [dataclasses.asdict(a) for a in found.low_stock],
        "near_expiry": [{**dataclasses.asdict(a), "expired": a.expired} for a in found.near_expiry],
    }
