"""Medication: a product lot — the product with its ingredients and strengths, the lot number
and expiry (``batch``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, Q

from mesocare.catalog.models import ProductIngredient
from mesocare.clinics.permissions import Perm
from mesocare.fhir.definitions import CS_INGREDIENT, CS_PRODUCT
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, day, latest_of, quantity
from mesocare.fhir.search import date_filter, local_code_filter, token_filter
from mesocare.inventory.models import ProductLot

GTIN = "https://www.gs1.org/gtin"
STATUS_FILTER = {"active": Q(recalled=False), "inactive": Q(recalled=True)}
INGREDIENTS = Prefetch(
    "product__components", queryset=ProductIngredient.objects.select_related("ingredient")
)


def ingredient_strengths(lot: ProductLot) -> list[tuple[ProductIngredient, Any]]:
    """(component, mg per mL or None) of the lot's product, from the prefetched rows."""
    return [(c, c.mg_per_ml) for c in lot.product.components.all()]


def build(lot: ProductLot, ctx: MappingContext) -> dict[str, Any]:
    product = lot.product
    codings = [
        {
            "system": ctx.canonical(f"CodeSystem/{CS_PRODUCT}"),
            "code": product.code,
            "display": product.name,
        }
    ]
    gtin = lot.gtin or product.gtin
    if gtin:
        codings.append({"system": GTIN, "code": gtin})
    ingredients = []
    for component, mg_per_ml in ingredient_strengths(lot):
        item: dict[str, Any] = {
            "itemCodeableConcept": {
                "coding": [
                    {
                        "system": ctx.canonical(f"CodeSystem/{CS_INGREDIENT}"),
                        "code": component.ingredient.code,
                        "display": component.ingredient.name,
                    }
                ],
                "text": component.ingredient.name,
            },
            "isActive": True,
        }
        if mg_per_ml is not None:
            item["strength"] = {
                "numerator": quantity(mg_per_ml, "mg"),
                "denominator": quantity(1, "mL"),
            }
        elif component.unit == "IU/mL":
            item["strength"] = {
                "numerator": quantity(component.concentration, "IU", "[iU]"),
                "denominator": quantity(1, "mL"),
            }
        ingredients.append(item)
    return compact(
        {
            "code": {"coding": codings, "text": product.name},
            "status": "inactive" if lot.recalled else "active",
            "ingredient": ingredients,
            "batch": {"lotNumber": lot.lot_number, "expirationDate": day(lot.expiry)},
        }
    )


MEDICATION = register(
    ResourceType(
        name="Medication",
        perm=Perm.STOCK_VIEW,
        patient_data=False,
        sources=(
            Source(
                ProductLot,
                build,
                last_updated="fhir_updated",
                annotations={"fhir_updated": latest_of("received_at", "recalled_at")},
                patient_path=None,
                select=("product",),
                prefetch=(INGREDIENTS,),
                filters={
                    "code": local_code_filter({CS_PRODUCT: "product__code"}, {GTIN: "gtin"}),
                    "lot-number": lambda raw: Q(lot_number=raw),
                    "expiration-date": date_filter("expiry", date_only=True),
                    "status": token_filter(STATUS_FILTER),
                },
            ),
        ),
        params=(
            SearchParam("code", "token", "The product (product code or GTIN)."),
            SearchParam("lot-number", "token", "The lot number."),
            SearchParam("expiration-date", "date", "The lot's expiry."),
            SearchParam("status", "token", "active | inactive (recalled)"),
        ),
    )
)
