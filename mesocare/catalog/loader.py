"""Load the curated catalog (data/*.json) into the database; idempotent, upserts by code."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from mesocare.catalog.models import (
    AllergenFamily,
    Indication,
    Ingredient,
    InstructionSet,
    Product,
    ProductIngredient,
    Protocol,
    ProtocolProduct,
    Zone,
)
from mesocare.catalog.snapshots import snapshot_protocol

DATA_DIR = Path(__file__).parent / "data"


def _read(name: str, data_dir: Path) -> list[dict[str, Any]]:
    return json.loads((data_dir / f"{name}.json").read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _dec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


@transaction.atomic
def load_catalog(data_dir: Path = DATA_DIR) -> dict[str, int]:
    families = {}
    for row in _read("allergen_families", data_dir):
        families[row["code"]], _ = AllergenFamily.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "synonyms": row["synonyms"]}
        )
    ingredients = {}
    for row in _read("ingredients", data_dir):
        ingredient, _ = Ingredient.objects.update_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "synonyms": row["synonyms"],
                "kind": row["kind"],
                "lipolytic": row["lipolytic"],
            },
        )
        ingredient.allergen_families.set([families[c] for c in row["allergen_families"]])
        ingredients[row["code"]] = ingredient
    products = _load_products(data_dir, ingredients)
    for row in _read("zones", data_dir):
        Zone.objects.update_or_create(
            code=row["code"], defaults={"name": row["name"], "region": row["region"]}
        )
    indications = {}
    for row in _read("indications", data_dir):
        indications[row["code"]], _ = Indication.objects.update_or_create(
            code=row["code"],
            defaults={
                k: row[k] for k in ("name", "description", "body_areas", "default_room_kind")
            },
        )
    instructions = {}
    for row in _read("instructions", data_dir):
        instructions[row["code"]], _ = InstructionSet.objects.update_or_create(
            code=row["code"],
            defaults={k: row[k] for k in ("kind", "name", "items", "citations")},
        )
    protocols = _load_protocols(data_dir, indications, instructions, products)
    return {
        "allergen_families": len(families),
        "ingredients": len(ingredients),
        "products": len(products),
        "indications": len(indications),
        "instruction_sets": len(instructions),
        "protocols": protocols,
    }


def _load_products(data_dir: Path, ingredients: dict[str, Ingredient]) -> dict[str, Product]:
    rows = _read("products", data_dir)
    products: dict[str, Product] = {}
    for row in rows:
        product = Product.objects.filter(organization__isnull=True, code=row["code"]).first()
        product = product or Product(code=row["code"])
        for key in (
            "name", "form", "vial", "contains_epinephrine", "lipolytic", "min_interval_days",
            "min_interval_months", "max_sessions_per_area", "notes", "citations",
        ):  # fmt: skip
            setattr(product, key, row[key])
        product.compounded = bool(row.get("compounded", False))
        for key in ("max_volume_ml_per_session", "max_volume_ml_per_point", "default_unit_cost"):
            setattr(product, key, _dec(row[key]))
        product.save()
        product.components.all().delete()
        ProductIngredient.objects.bulk_create(
            ProductIngredient(
                product=product,
                ingredient=ingredients[c["ingredient"]],
                concentration=Decimal(c["concentration"]),
                unit=c["unit"],
            )
            for c in row["ingredients"]
        )
        products[row["code"]] = product
    for row in rows:
        products[row["code"]].incompatible_with.set([products[c] for c in row["incompatible_with"]])
    return products


def _load_protocols(
    data_dir: Path,
    indications: dict[str, Indication],
    instructions: dict[str, InstructionSet],
    products: dict[str, Product],
) -> int:
    count = 0
    for row in _read("protocols", data_dir):
        values = {
            "indication": indications[row["indication"]],
            "name": row["name"],
            "technique": row["technique"],
            "depth_mm_min": Decimal(row["depth_mm"]["min"]),
            "depth_mm_max": Decimal(row["depth_mm"]["max"]),
            "volume_per_point_ml_min": Decimal(row["volume_per_point_ml"]["min"]),
            "volume_per_point_ml_max": Decimal(row["volume_per_point_ml"]["max"]),
            "volume_per_session_ml_min": Decimal(row["volume_per_session_ml"]["min"]),
            "volume_per_session_ml_max": Decimal(row["volume_per_session_ml"]["max"]),
            "scale": row["scale"] or "",
            "sessions_by_band": row["sessions_by_band"],
            "interval_min_days": row["interval_days"]["min"],
            "interval_target_days": row["interval_days"]["target"],
            "interval_max_days": row["interval_days"]["max"],
            "interval_min_months": row["interval_days"].get("min_months"),
            "max_baseline_total": _dec(row.get("max_baseline_total")),
            "response_check_session": row["response_check_session"],
            "responder_min_improvement": _dec(row.get("responder_min_improvement")),
            "target_band": row.get("target_band") or "",
            "maintenance_interval_days": row.get("maintenance_interval_days"),
            "session_duration_min": row["session_duration_min"],
            "room_kind": row["room_kind"],
            "pre_care": instructions.get(row.get("pre_care") or ""),
            "aftercare": instructions.get(row.get("aftercare") or ""),
            "evidence_level": row["evidence_level"],
            "notes": row.get("notes", ""),
            "citations": row["citations"],
        }
        protocol = Protocol.objects.filter(organization__isnull=True, code=row["code"]).first()
        if protocol is None:
            protocol = Protocol.objects.create(code=row["code"], **values)
        else:
            for key, value in values.items():
                setattr(protocol, key, value)
            protocol.save()
        protocol.product_links.all().delete()
        ProtocolProduct.objects.bulk_create(
            ProtocolProduct(protocol=protocol, product=products[p["product"]], role=p["role"])
            for p in row["products"]
        )
        snapshot = snapshot_protocol(protocol)
        latest = protocol.versions.order_by("-version").first()
        if latest is None or latest.snapshot != snapshot:
            if latest is not None:
                protocol.version = latest.version + 1
                protocol.save(update_fields=["version"])
                snapshot["version"] = protocol.version
            protocol.versions.create(
                version=protocol.version, snapshot=snapshot, reason="catalog load"
            )
        count += 1
    return count
