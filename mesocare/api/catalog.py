"""The treatment catalog over the API: indications, protocols, products, ingredients; a clinic's
own protocols (copy a default, edit the copy; every change is a new version)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.catalog_schemas import (
    IndicationOut,
    IngredientOut,
    ProductOut,
    ProtocolChanges,
    ProtocolCopyIn,
    ProtocolOut,
    ProtocolVersionOut,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.catalog import services
from mesocare.catalog.models import Indication, Ingredient, InstructionSet, Product, Protocol
from mesocare.clinics.permissions import MEMBER, Perm

router = Router(tags=["catalog"])


class SearchQuery(Schema):
    q: str = Field("", max_length=200, description="words of the name (accents and case ignored)")


class ProtocolQuery(Schema):
    indication: str | None = Field(None, max_length=64, description="indication code or id")
    include_inactive: bool = False


def _range(p: Protocol, name: str) -> dict[str, Any]:
    return {"min": getattr(p, f"{name}_min"), "max": getattr(p, f"{name}_max")}


def _instructions(s: InstructionSet | None) -> dict[str, Any] | None:
    if s is None:
        return None
    return {
        "code": s.code,
        "kind": s.kind,
        "name": s.name,
        "items": s.items,
        "citations": s.citations,
    }


def protocol_out(p: Protocol) -> dict[str, Any]:
    return {
        "id": p.pk,
        "code": p.code,
        "name": p.name,
        "indication": {"id": p.indication_id, "code": p.indication.code, "name": p.indication.name},
        "is_default": p.is_default,
        "copied_from": p.copied_from_id,
        "version": p.version,
        "is_active": p.is_active,
        "technique": p.technique,
        "depth_mm": _range(p, "depth_mm"),
        "volume_per_point_ml": _range(p, "volume_per_point_ml"),
        "volume_per_session_ml": _range(p, "volume_per_session_ml"),
        "products": [
            {
                "product": link.product_id,
                "code": link.product.code,
                "name": link.product.name,
                "role": link.role,
            }
            for link in p.product_links.all()
        ],
        "scale": p.scale or None,
        "sessions_by_band": p.sessions_by_band,
        "interval_days": {
            "min": p.interval_min_days,
            "target": p.interval_target_days,
            "max": p.interval_max_days,
        },
        "response_check_session": p.response_check_session,
        "responder_min_improvement": p.responder_min_improvement,
        "target_band": p.target_band or None,
        "maintenance_interval_days": p.maintenance_interval_days,
        "session_duration_min": p.session_duration_min,
        "room_kind": p.room_kind,
        "pre_care": _instructions(p.pre_care),
        "aftercare": _instructions(p.aftercare),
        "evidence_level": p.evidence_level,
        "notes": p.notes,
        "citations": p.citations,
        "updated_at": p.updated_at,
    }


def indication_out(i: Indication) -> dict[str, Any]:
    return {
        "id": i.pk,
        "code": i.code,
        "name": i.name,
        "description": i.description,
        "body_areas": i.body_areas,
        "default_room_kind": i.default_room_kind,
        "protocols": [
            {
                "id": p.pk,
                "code": p.code,
                "name": p.name,
                "is_default": p.is_default,
                "evidence_level": p.evidence_level,
                "version": p.version,
            }
            for p in getattr(i, "visible_protocols", [])
        ],
        "citations": services.indication_citations(i),
    }


def product_out(p: Product) -> dict[str, Any]:
    return {
        **{
            f: getattr(p, f)
            for f in (
                "code",
                "name",
                "form",
                "vial",
                "contains_epinephrine",
                "lipolytic",
                "min_interval_days",
                "min_interval_months",
                "max_volume_ml_per_session",
                "max_volume_ml_per_point",
                "max_sessions_per_area",
                "notes",
                "citations",
            )  # fmt: skip
        },
        "id": p.pk,
        "is_default": p.organization_id is None,
        "ingredients": [
            {
                "ingredient": {
                    "id": c.ingredient_id,
                    "code": c.ingredient.code,
                    "name": c.ingredient.name,
                },
                "concentration": c.concentration,
                "unit": c.unit,
                "mg_per_ml": c.mg_per_ml,
            }
            for c in p.components.all()
        ],
        "incompatible_with": sorted(other.pk for other in p.incompatible_with.all()),
    }


def ingredient_out(i: Ingredient, products: list[Product]) -> dict[str, Any]:
    seen: set[str] = set()
    citations = []
    for product in products:
        for citation in product.citations:
            if citation.get("text") not in seen:
                seen.add(citation.get("text"))
                citations.append(citation)
    return {
        "id": i.pk,
        "code": i.code,
        "name": i.name,
        "synonyms": i.synonyms,
        "kind": i.kind,
        "lipolytic": i.lipolytic,
        "allergen_families": [{"code": f.code, "name": f.name} for f in i.allergen_families.all()],
        "products": [{"id": p.pk, "code": p.code, "name": p.name} for p in products],
        "citations": citations,
    }


def flatten_changes(payload: ProtocolChanges) -> tuple[dict[str, Any], str]:
    """API shape ({"depth_mm": {"min", "max"}, ...}) → the service's flat model fields."""
    data = payload.dict(exclude_unset=True)
    data.pop("copy_of", None)
    reason = data.pop("reason", "") or ""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if key in ("depth_mm", "volume_per_point_ml", "volume_per_session_ml"):
            if value is None:
                flat[key] = None
                continue
            flat[f"{key}_min"], flat[f"{key}_max"] = value["min"], value["max"]
        elif key == "interval_days":
            if value is None:
                flat[key] = None
                continue
            for part in ("min", "target", "max"):
                flat[f"interval_{part}_days"] = value[part]
        elif key == "products" and value is not None:
            flat[key] = [
                {"product": p["product"], "role": str(p.get("role") or "active")} for p in value
            ]
        elif key in ("technique", "room_kind", "evidence_level") and value is not None:
            flat[key] = str(value)
        else:
            flat[key] = value
    return flat, reason


@router.get("/indications", response={200: list[IndicationOut], **PROBLEM_RESPONSES})
@requires(MEMBER)
def list_indications(request: HttpRequest) -> list[dict[str, Any]]:
    return [indication_out(i) for i in services.list_indications(actor_of(request))]


@router.get("/protocols", response={200: list[ProtocolOut], **PROBLEM_RESPONSES})
@requires(MEMBER)
def list_protocols(request: HttpRequest, params: Query[ProtocolQuery]) -> list[dict[str, Any]]:
    qs = services.list_protocols(
        actor_of(request), indication=params.indication, include_inactive=params.include_inactive
    )
    return [protocol_out(p) for p in qs]


@router.get("/protocols/{protocol_id}", response={200: ProtocolOut, **PROBLEM_RESPONSES})
@requires(MEMBER)
def get_protocol(request: HttpRequest, protocol_id: int) -> dict[str, Any]:
    return protocol_out(services.get_protocol(actor_of(request), protocol_id))


@router.get(
    "/protocols/{protocol_id}/versions",
    response={200: list[ProtocolVersionOut], **PROBLEM_RESPONSES},
)
@requires(MEMBER)
def list_protocol_versions(request: HttpRequest, protocol_id: int) -> list[dict[str, Any]]:
    protocol = services.get_protocol(actor_of(request), protocol_id)
    return [
        {
            "version": v.version,
            "created_at": v.created_at,
            "created_by": v.created_by.email if v.created_by else None,
            "reason": v.reason,
            "snapshot": v.snapshot,
        }
        for v in protocol.versions.select_related("created_by").order_by("version")
    ]


@router.post(
    "/protocols",
    response={201: ProtocolOut, **PROBLEM_RESPONSES},
    summary="Copy a protocol (a curated default or your own) into your clinic, with changes",
)
@requires(Perm.CATALOG_MANAGE)
def copy_protocol(request: HttpRequest, payload: ProtocolCopyIn) -> Status[dict[str, Any]]:
    actor = actor_of(request)
    source = services.get_protocol(actor, payload.copy_of)
    changes, reason = flatten_changes(payload)
    copy = services.copy_protocol(actor, source, changes, reason=reason)
    return Status(201, protocol_out(services.get_protocol(actor, copy.pk)))


@router.patch(
    "/protocols/{protocol_id}",
    response={200: ProtocolOut, **PROBLEM_RESPONSES},
    summary="Edit your clinic's protocol (curated defaults are read-only: 403)",
)
@requires(Perm.CATALOG_MANAGE)
def update_protocol(
    request: HttpRequest, protocol_id: int, payload: ProtocolChanges
) -> dict[str, Any]:
    actor = actor_of(request)
    protocol = services.get_protocol(actor, protocol_id)
    changes, reason = flatten_changes(payload)
    services.update_protocol(actor, protocol, changes, reason=reason)
    return protocol_out(services.get_protocol(actor, protocol_id))


@router.get("/products", response={200: list[ProductOut], **PROBLEM_RESPONSES})
@requires(MEMBER)
def list_products(request: HttpRequest, params: Query[SearchQuery]) -> list[dict[str, Any]]:
    return [product_out(p) for p in services.search_products(actor_of(request), params.q)]


@router.get("/ingredients", response={200: list[IngredientOut], **PROBLEM_RESPONSES})
@requires(MEMBER)
def list_ingredients(request: HttpRequest, params: Query[SearchQuery]) -> list[dict[str, Any]]:
    ingredients = services.search_ingredients(params.q)
    products = services.ingredient_products(actor_of(request), ingredients)
    return [ingredient_out(i, products[i.pk]) for i in ingredients]
