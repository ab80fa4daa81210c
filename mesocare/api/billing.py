"""The till over the API: prices, package offers, patients' packages and account. Invoices and
credit notes are in `billing_invoices`, payments, deposits, the policy and takings in
`billing_payments`."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.billing_schemas import (
    AccountOut,
    CancelPackageIn,
    OfferIn,
    OfferOut,
    OfferPatch,
    OfferRevision,
    PatientPackageOut,
    PriceIn,
    PriceOut,
    PricePatch,
    PriceQuery,
    SellIn,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.billing.models import (
    PackageOffer,
    PatientPackage,
    PriceItem,
)
from mesocare.billing.services import packages, payments, prices
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.core import money
from mesocare.patients.models import Patient

router = Router(tags=["billing"])


# Prices -------------------------------------------------------------------------------------


def _amount(value: Any, currency: str) -> Decimal | None:
    """A database aggregate as the currency's minor units (SQLite returns it unscaled)."""
    return None if value is None else money.round_money(value, currency)


def price_out(item: PriceItem) -> dict[str, Any]:
    rule = getattr(item, "deposit_rule", None)
    return {
        "id": item.pk,
        "code": item.code,
        "name": item.name,
        "kind": item.kind,
        "protocol_id": item.protocol_id,
        "currency": item.currency,
        "amount": _amount(getattr(item, "current_amount", None), item.currency),
        "tax_category": item.tax_category,
        "tax_rate": item.tax_rate,
        "exemption_code": item.exemption_code,
        "exemption_reason": item.exemption_reason,
        "active": item.active,
        "deposit": {"kind": rule.kind, "value": rule.value} if rule else None,
        "versions": [{"amount": v.amount, "valid_from": v.valid_from} for v in item.versions.all()],
    }


@router.get("/prices", response={200: list[PriceOut], **PROBLEM_RESPONSES}, summary="Price list")
@requires(Perm.BILLING_VIEW)
def list_prices(request: HttpRequest, params: Query[PriceQuery]) -> list[dict[str, Any]]:
    return [price_out(i) for i in prices.list_prices(actor_of(request), active=params.active)]


@router.post("/prices", response={201: PriceOut, **PROBLEM_RESPONSES}, summary="Add a price")
@requires(Perm.PRICE_MANAGE)
def create_price(request: HttpRequest, payload: PriceIn) -> Status:
    actor = actor_of(request)
    item = prices.create_price_item(actor, **payload.dict())
    return Status(201, price_out(prices.get_price_item(actor, item.pk)))


@router.get("/prices/{item_id}", response={200: PriceOut, **PROBLEM_RESPONSES})
@requires(Perm.BILLING_VIEW)
def get_price(request: HttpRequest, item_id: int) -> dict[str, Any]:
    return price_out(prices.get_price_item(actor_of(request), item_id))


@router.patch(
    "/prices/{item_id}",
    response={200: PriceOut, **PROBLEM_RESPONSES},
    summary="Change a price item; a new amount is a new version",
)
@requires(Perm.PRICE_MANAGE)
def patch_price(request: HttpRequest, item_id: int, payload: PricePatch) -> dict[str, Any]:
    actor = actor_of(request)
    item = get_for_org(PriceItem, actor.org_id, item_id)
    return price_out(prices.update_price_item(actor, item, payload.dict(exclude_unset=True)))


# Package offers -----------------------------------------------------------------------------


def offer_out(offer: PackageOffer) -> dict[str, Any]:
    return {
        "id": offer.pk,
        "name": offer.name,
        "protocol_id": offer.protocol_id,
        "protocol_name": offer.protocol.name,
        "sessions": offer.sessions,
        "price": offer.price,
        "currency": offer.currency,
        "validity_days": offer.validity_days,
        "max_instalments": offer.max_instalments,
        "tax_category": offer.tax_category,
        "tax_rate": offer.tax_rate,
        "exemption_code": offer.exemption_code,
        "exemption_reason": offer.exemption_reason,
        "active": offer.active,
        "components": [
            {"item_id": c.item_id, "name": c.item.name, "quantity": c.quantity}
            for c in offer.components.all()
        ],
    }


@router.get(
    "/packages", response={200: list[OfferOut], **PROBLEM_RESPONSES}, summary="Package offers"
)
@requires(Perm.BILLING_VIEW)
def list_offers(request: HttpRequest, params: Query[PriceQuery]) -> list[dict[str, Any]]:
    return [offer_out(o) for o in packages.list_offers(actor_of(request), active=params.active)]


@router.post("/packages", response={201: OfferOut, **PROBLEM_RESPONSES}, summary="Offer a package")
@requires(Perm.PRICE_MANAGE)
def create_offer(request: HttpRequest, payload: OfferIn) -> Status:
    actor = actor_of(request)
    data = payload.dict()
    data["components"] = [c.dict() for c in payload.components]
    offer = packages.create_offer(actor, **data)
    return Status(201, offer_out(packages.get_offer(actor, offer.pk)))


@router.get("/packages/{offer_id}", response={200: OfferOut, **PROBLEM_RESPONSES})
@requires(Perm.BILLING_VIEW)
def get_offer(request: HttpRequest, offer_id: int) -> dict[str, Any]:
    return offer_out(packages.get_offer(actor_of(request), offer_id))


@router.patch("/packages/{offer_id}", response={200: OfferOut, **PROBLEM_RESPONSES})
@requires(Perm.PRICE_MANAGE)
def patch_offer(request: HttpRequest, offer_id: int, payload: OfferPatch) -> dict[str, Any]:
    actor = actor_of(request)
    offer = get_for_org(PackageOffer, actor.org_id, offer_id)
    return offer_out(packages.update_offer(actor, offer, payload.dict(exclude_unset=True)))


@router.post(
    "/packages/{offer_id}/revise",
    response={201: OfferOut, **PROBLEM_RESPONSES},
    summary="A new version of a course offer (new price or sessions); the old one is withdrawn",
)
@requires(Perm.PRICE_MANAGE)
def revise_offer(request: HttpRequest, offer_id: int, payload: OfferRevision) -> Status:
    actor = actor_of(request)
    offer = get_for_org(PackageOffer, actor.org_id, offer_id)
    new = packages.revise_offer(actor, offer, payload.dict(exclude_none=True))
    return Status(201, offer_out(new))


# Patients' packages and account -------------------------------------------------------------


def package_out(p: PatientPackage) -> dict[str, Any]:
    return {
        "id": p.pk,
        "patient_id": p.patient_id,
        "offer_id": p.offer_id,
        "name": p.offer_snapshot.get("name", ""),
        "protocol_id": p.protocol_id,
        "protocol_name": p.protocol.name,
        "sessions_total": p.sessions_total,
        "sessions_used": p.sessions_used,
        "sessions_left": p.sessions_left,
        "price": p.price,
        "currency": p.currency,
        "instalments": packages.instalment_plan(p),
        "sold_at": p.sold_at,
        "expires_on": p.expires_on,
        "status": packages.effective_status(p),
        "invoice_id": p.invoice_id,
        "credit_note_id": p.credit_note_id,
        "cancelled_at": p.cancelled_at,
        "services": [
            {
                "item_id": a.item_id,
                "name": a.name,
                "paid": a.quantity_total,
                "used": a.quantity_used,
                "left": a.quantity_left,
            }
            for a in p.allowances.all()
        ],
    }


@router.get(
    "/patients/{patient_id}/packages",
    response={200: list[PatientPackageOut], **PROBLEM_RESPONSES},
    summary="A patient's packages: sessions paid, used and left",
)
@requires(Perm.BILLING_VIEW)
def list_patient_packages(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    return [package_out(p) for p in packages.patient_packages(actor_of(request), patient_id)]


@router.post(
    "/patients/{patient_id}/packages",
    response={201: PatientPackageOut, **PROBLEM_RESPONSES},
    summary="Sell a package (issues its invoice)",
)
@requires(Perm.BILLING_CHARGE)
def sell_package(request: HttpRequest, patient_id: int, payload: SellIn) -> Status:
    actor = actor_of(request)
    get_for_org(Patient, actor.org_id, patient_id)
    package = packages.sell_package(actor, patient_id=patient_id, **payload.dict())
    fresh = packages.package_queryset(actor.org_id).get(pk=package.pk)
    return Status(201, package_out(fresh))


@router.post(
    "/patients/{patient_id}/packages/{package_id}/cancel",
    response={200: PatientPackageOut, **PROBLEM_RESPONSES},
    summary="Cancel a course: a credit note for the unused sessions by the clinic's policy",
)
@requires(Perm.CREDIT_ISSUE)
def cancel_package(
    request: HttpRequest, patient_id: int, package_id: int, payload: CancelPackageIn
) -> dict[str, Any]:
    actor = actor_of(request)
    package = packages.cancel_package(actor, patient_id, package_id, **payload.dict())
    out = package_out(packages.package_queryset(actor.org_id).get(pk=package.pk))
    refund = getattr(package, "refund", None)
    out["refund_payment_id"] = refund.pk if refund is not None else None
    return out


@router.get(
    "/patients/{patient_id}/account",
    response={200: AccountOut, **PROBLEM_RESPONSES},
    summary="A patient's balance, credit and open invoices",
)
@requires(Perm.BILLING_VIEW)
def patient_account(request: HttpRequest, patient_id: int) -> dict[str, Any]:
    account = payments.patient_account(actor_of(request), patient_id)
    b = account["balance"]
    return {
        "patient_id": account["patient_id"],
        "currency": b.currency,
        "invoiced": b.invoiced,
        "paid": b.paid,
        "credited": b.credited,
        "balance": b.balance,
        "credit": b.credit,
        "open_invoices": {str(k): v for k, v in account["open"].items()},
    }
