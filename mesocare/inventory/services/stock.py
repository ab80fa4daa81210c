"""Receiving stock and every other stock movement.

On hand is Σ movements. `ProductLot.on_hand_ml` caches it and is changed only here, with an
`F()` update in the same transaction that inserts the movement; taking stock out is one
conditional UPDATE (`... WHERE on_hand_ml >= quantity`), so two concurrent uses of the last
millilitres cannot both succeed and no update is lost (PostgreSQL re-evaluates the condition
on the committed row; SQLite serializes writers). `verify_on_hand` proves cache = sum.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.db.models import F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Product
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org, require_in_org
from mesocare.errors import Conflict, Invalid
from mesocare.inventory import gs1
from mesocare.inventory.choices import MovementKind
from mesocare.inventory.models import LocationStockSetting, ProductLot, StockMovement
from mesocare.lib.validation import full_clean_or_invalid

ZERO = Decimal(0)
MANUAL_KINDS = (MovementKind.WASTE, MovementKind.ADJUST, MovementKind.RETURN)


def visible_products(actor: Actor) -> models.QuerySet[Product]:
    """Curated products and the organization's own."""
    return Product.objects.filter(Q(organization__isnull=True) | Q(organization_id=actor.org_id))


def get_lot(actor: Actor, lot_id: Any) -> ProductLot:
    actor.require(Perm.STOCK_VIEW)
    return get_for_org(
        ProductLot,
        actor.org_id,
        lot_id,
        queryset=ProductLot.objects.select_related("product", "location"),
    )


def list_lots(
    actor: Actor,
    *,
    product: int | None = None,
    location: int | None = None,
    include_empty: bool = True,
) -> models.QuerySet[ProductLot]:
    actor.require(Perm.STOCK_VIEW)
    qs = ProductLot.objects.for_org(actor.org_id).select_related("product", "location")
    if product is not None:
        qs = qs.filter(product_id=product)
    if location is not None:
        qs = qs.filter(location_id=location)
    if not include_empty:
        qs = qs.exclude(on_hand_ml=0)
    return qs.order_by("product__name", "expiry", "lot_number", "id")


def allows_negative(location_id: int) -> bool:
    return LocationStockSetting.objects.filter(
        location_id=location_id, allow_negative=True
    ).exists()


@transaction.atomic
def set_allow_negative(actor: Actor, location: Location, allow: bool) -> LocationStockSetting:
    """Only an administrator (org.manage) may let a location's stock go negative."""
    actor.require(Perm.ORG_MANAGE)
    setting, _created = LocationStockSetting.objects.get_or_create(
        location=location, defaults={"organization_id": actor.org_id}
    )
    changes = {"allow_negative": [setting.allow_negative, allow]}
    setting.allow_negative = allow
    setting.updated_by = actor.user
    setting.save()
    record(actor, AuditAction.UPDATE, setting, summary="stock policy", changes=changes)
    return setting


def apply_movement(
    actor: Actor,
    lot: ProductLot,
    kind: str,
    quantity_ml: Decimal,
    *,
    reason: str = "",
    component: Any = None,
) -> StockMovement:
    """Insert one movement and move the cache by the same amount, in the caller's
    transaction. A movement that takes stock out fails with 409 `insufficient_stock`
    when it would take the lot below zero, unless the location allows negative stock."""
    quantity = Decimal(quantity_ml)
    with transaction.atomic():
        lots = ProductLot.objects.filter(pk=lot.pk)
        if kind == MovementKind.USE and quantity < 0:
            # A recall committed a moment ago still stops this use.
            lots = lots.filter(recalled=False)
            if not lots.exists():
                raise Conflict(
                    "lot_recalled", _("Lot %s is recalled.") % lot.lot_number, lot=lot.pk
                )
        if quantity < 0 and not allows_negative(lot.location_id):
            updated = lots.filter(on_hand_ml__gte=-quantity).update(
                on_hand_ml=F("on_hand_ml") + quantity
            )
            if not updated:
                on_hand = lots.values_list("on_hand_ml", flat=True).first()
                raise Conflict(
                    "insufficient_stock",
                    _("Lot %(lot)s has %(on_hand)s mL on hand; %(wanted)s mL requested.")
                    % {"lot": lot.lot_number, "on_hand": on_hand, "wanted": -quantity},
                    lot=lot.pk,
                    on_hand_ml=str(on_hand),
                    requested_ml=str(-quantity),
                )
        else:
            lots.update(on_hand_ml=F("on_hand_ml") + quantity)
        return StockMovement.objects.create(
            organization_id=lot.organization_id,
            lot=lot,
            location_id=lot.location_id,
            kind=kind,
            quantity_ml=quantity,
            reason=reason[:255],
            injection_component=component,
            by=actor.user,
        )


def _positive(field: str, value: Decimal) -> Decimal:
    value = Decimal(value)
    if not value.is_finite() or value <= 0:
        raise Invalid.field(field, _("Must be more than 0 mL."))
    return value


@transaction.atomic
def receive_stock(
    actor: Actor,
    *,
    product: Product,
    location: Location,
    lot_number: str,
    expiry: dt.date,
    quantity_ml: Decimal,
    supplier: str = "",
    gtin: str = "",
    unit_cost: Decimal | None = None,
) -> ProductLot:
    """Receive a delivery. A lot number already stocked at the location gets another
    receive movement (its expiry must match)."""
    actor.require(Perm.STOCK_EDIT)
    quantity = _positive("quantity", quantity_ml)
    require_in_org(
        actor, location, error=Invalid.field("location", _("No location with id %s.") % location.pk)
    )
    if not visible_products(actor).filter(pk=product.pk).exists():
        raise Invalid.field("product", _("No product with id %s.") % product.pk)
    lot_number = lot_number.strip()
    lot = (
        ProductLot.objects.for_org(actor.org_id)
        .select_for_update()
        .filter(location=location, product=product, lot_number=lot_number)
        .first()
    )
    if lot is None:
        lot = ProductLot(
            organization_id=actor.org_id,
            product=product,
            location=location,
            lot_number=lot_number,
            expiry=expiry,
            supplier=supplier,
            gtin=gtin or product.gtin,
            received_ml=quantity,
            unit_cost=unit_cost if unit_cost is not None else product.default_unit_cost,
            received_by=actor.user,
        )
        full_clean_or_invalid(lot, exclude=["organization", "on_hand_ml"])
        lot.save()
        action = AuditAction.CREATE
    else:
        if lot.expiry != expiry:
            raise Invalid.field(
                "expiry",
                _("Lot %(lot)s is stocked with expiry %(expiry)s.")
                % {"lot": lot_number, "expiry": lot.expiry.isoformat()},
            )
        if lot.recalled:
            raise Conflict("lot_recalled", _("Lot %s is recalled.") % lot_number, lot=lot.pk)
        ProductLot.objects.filter(pk=lot.pk).update(received_ml=F("received_ml") + quantity)
        action = AuditAction.UPDATE
    apply_movement(actor, lot, MovementKind.RECEIVE, quantity, reason=supplier)
    record(
        actor,
        action,
        lot,
        summary=f"received {quantity} mL of lot {lot_number}",
        changes={"product": product.pk, "location": location.pk, "quantity_ml": quantity},
    )
    lot.refresh_from_db()
    return lot


def product_for_gtin(actor: Actor, gtin: str) -> Product | None:
    """The product whose GTIN (stored as 8, 12, 13 or 14 digits) is this GTIN-14."""
    full = gs1.gtin14(gtin)
    candidates = {full, full.lstrip("0")} | {full[i:] for i in range(1, 7)}
    products = list(visible_products(actor).filter(gtin__in=candidates)[:2])
    own = [p for p in products if p.organization_id == actor.org_id]
    found = own or products
    return found[0] if found else None


def receive_scanned(
    actor: Actor,
    *,
    scan: str,
    location: Location,
    quantity_ml: Decimal,
    product: Product | None = None,
    supplier: str = "",
    unit_cost: Decimal | None = None,
    today: dt.date | None = None,
) -> ProductLot:
    """Receive from a GS1 DataMatrix / GS1-128 scan: lot (10) and expiry (17) are read
    from it; the product is found by GTIN (01) when not given."""
    try:
        data = gs1.parse_gs1(scan, today=today)
    except gs1.GS1Error as exc:
        raise Invalid.field("gs1", _("Cannot read this barcode: %s.") % exc) from None
    if not data.lot:
        raise Invalid.field("gs1", _("The barcode has no lot number (AI 10)."))
    if data.expiry is None:
        raise Invalid.field("gs1", _("The barcode has no expiry date (AI 17)."))
    if product is None:
        if not data.gtin:
            raise Invalid.field("product", _("The barcode has no GTIN (AI 01); choose a product."))
        product = product_for_gtin(actor, data.gtin)
        if product is None:
            raise Invalid.field(
                "product", _("No product has GTIN %s; choose the product.") % data.gtin
            )
    elif data.gtin and product.gtin and gs1.gtin14(product.gtin) != data.gtin:
        raise Invalid.field(
            "gs1",
            _("The barcode's GTIN %(scan)s is not %(product)s's GTIN %(gtin)s.")
            % {"scan": data.gtin, "product": product.name, "gtin": product.gtin},
        )
    return receive_stock(
        actor,
        product=product,
        location=location,
        lot_number=data.lot,
        expiry=data.expiry,
        quantity_ml=quantity_ml,
        supplier=supplier,
        gtin=data.gtin or "",
        unit_cost=unit_cost,
    )


@transaction.atomic
def record_movement(
    actor: Actor, lot: ProductLot, *, kind: str, quantity_ml: Decimal, reason: str
) -> StockMovement:
    """Waste, adjust or return-to-supplier with a reason. ``quantity_ml`` is the amount for
    waste and return (positive) and signed for adjust."""
    actor.require(Perm.STOCK_EDIT)
    if kind not in MANUAL_KINDS:
        raise Invalid.field("kind", _("Choose waste, adjust or return."))
    if not reason.strip():
        raise Invalid.field("reason", _("Give a reason."))
    quantity = Decimal(quantity_ml)
    if not quantity.is_finite() or quantity == 0:
        raise Invalid.field("quantity_ml", _("Must not be 0."))
    if kind != MovementKind.ADJUST:
        quantity = -_positive("quantity_ml", quantity)
    movement = apply_movement(actor, lot, kind, quantity, reason=reason.strip())
    record(
        actor,
        AuditAction.CREATE,
        movement,
        summary=f"{kind} {quantity} mL of lot {lot.lot_number}",
        changes={"lot": lot.pk, "kind": kind, "quantity_ml": quantity, "reason": reason},
    )
    return movement


def on_hand_by_sum(lot_ids: list[int] | None = None) -> dict[int, Decimal]:
    """Σ movements per lot, straight from the movements."""
    qs = StockMovement.objects.all()
    if lot_ids is not None:
        qs = qs.filter(lot_id__in=lot_ids)
    rows = qs.values("lot_id").annotate(total=Sum("quantity_ml")).values_list("lot_id", "total")
    return {lot_id: total for lot_id, total in rows}


def verify_on_hand(organization_id: int | None = None) -> list[dict[str, Any]]:
    """Lots whose cached on hand differs from Σ movements (empty when all is well)."""
    lots = ProductLot.objects.all()
    if organization_id is not None:
        lots = lots.for_org(organization_id)
    qs = lots.annotate(
        total=Coalesce(Sum("movements__quantity_ml"), ZERO, output_field=models.DecimalField())
    ).exclude(on_hand_ml=F("total"))
    return [
        {"lot": lot.pk, "on_hand_ml": lot.on_hand_ml, "sum_ml": lot.total}  # type: ignore[attr-defined]
        for lot in qs
    ]
