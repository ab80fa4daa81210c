"""Turn ids from a request (API or form) into the objects a safety check needs.

An unknown patient, or one of another organization, is 404; unknown or foreign references
inside the request (protocol, products, lots, location) are one 422 naming every bad field.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Q
from django.utils.translation import gettext as _

from mesocare.assessments.models import Assessment
from mesocare.catalog.models import Product, Protocol
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Invalid
from mesocare.inventory.models import ProductLot
from mesocare.patients.models import Patient
from mesocare.safety.services import PlannedProduct


@dataclass(frozen=True)
class ProductLine:
    product: int
    lot: int | None = None
    volume_ml: Decimal | None = None
    points: int | None = None
    syringe: int | None = None
    body_area: str | None = None


@dataclass
class Resolved:
    patient: Patient
    protocol: Protocol | None = None
    location: Location | None = None
    baseline: Assessment | None = None
    items: list[PlannedProduct] = field(default_factory=list)


def _catalog(model: Any, org_id: int) -> Any:
    """Curated defaults (no organization) and this organization's own rows."""
    return model.objects.filter(Q(organization__isnull=True) | Q(organization_id=org_id))


def _lots(org_id: int, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {lot.pk: lot for lot in ProductLot.objects.for_org(org_id).filter(pk__in=ids)}


def resolve_request(
    actor: Actor,
    *,
    patient_id: int,
    protocol_id: int | None = None,
    location_id: int | None = None,
    assessment_id: int | None = None,
    products: Iterable[ProductLine] = (),
) -> Resolved:
    patient = get_for_org(Patient, actor.org_id, patient_id)
    lines = list(products)
    errors: list[dict[str, str]] = []
    resolved = Resolved(patient)
    if protocol_id is not None:
        resolved.protocol = (
            _catalog(Protocol, actor.org_id)
            .select_related("indication")
            .filter(pk=protocol_id)
            .first()
        )
        if resolved.protocol is None:
            errors.append(
                {"field": "protocol", "message": _("No protocol with id %s.") % protocol_id}
            )
    if location_id is not None:
        resolved.location = Location.objects.for_org(actor.org_id).filter(pk=location_id).first()
        if resolved.location is None:
            errors.append(
                {"field": "location", "message": _("No location with id %s.") % location_id}
            )
    if assessment_id is not None:
        resolved.baseline = (
            Assessment.objects.for_org(actor.org_id)
            .filter(pk=assessment_id, patient_id=patient.pk)
            .first()
        )
        if resolved.baseline is None:
            errors.append(
                {
                    "field": "assessment",
                    "message": _("No assessment with id %s for this patient.") % assessment_id,
                }
            )
    found = {
        p.pk: p for p in _catalog(Product, actor.org_id).filter(pk__in={x.product for x in lines})
    }
    lots = _lots(actor.org_id, {x.lot for x in lines if x.lot is not None})
    for index, line in enumerate(lines):
        product = found.get(line.product)
        if product is None:
            errors.append(
                {
                    "field": f"products.{index}.product",
                    "message": _("No product with id %s.") % line.product,
                }
            )
            continue
        lot = None
        if line.lot is not None:
            lot = lots.get(line.lot)
            if lot is None:
                errors.append(
                    {
                        "field": f"products.{index}.lot",
                        "message": _("No lot with id %s.") % line.lot,
                    }
                )
                continue
            if getattr(lot, "product_id", product.pk) != product.pk:
                errors.append(
                    {
                        "field": f"products.{index}.lot",
                        "message": _("Lot %(lot)s is not a lot of %(product)s.")
                        % {"lot": lot.lot_number, "product": product.name},
                    }
                )
                continue
        if line.volume_ml is not None and (
            not Decimal(line.volume_ml).is_finite() or line.volume_ml < 0
        ):
            errors.append(
                {
                    "field": f"products.{index}.volume_ml",
                    "message": _("Volume must be 0 mL or more."),
                }
            )
            continue
        resolved.items.append(
            PlannedProduct(
                product, lot, line.volume_ml, line.points, line.syringe, line.body_area or None
            )
        )
    if errors:
        raise Invalid("invalid_reference", errors[0]["message"], errors=errors)
    return resolved
