"""Small builders shared by the mapping modules (references, codes, quantities, times)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db.models import F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, Greatest

UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
LOINC = "http://loinc.org"


def ref(type_name: str, fhir_id: Any, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"reference": f"{type_name}/{fhir_id}"}
    if display:
        out["display"] = display
    return out


def coding(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def concept(
    system: str, code: str, display: str | None = None, text: str | None = None
) -> dict[str, Any]:
    out: dict[str, Any] = {"coding": [coding(system, code, display)]}
    if text or display:
        out["text"] = text or display
    return out


def number(value: Decimal | int | float) -> int | float:
    """A JSON number for a decimal: integral values as integers, others as floats."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def quantity(value: Decimal | int | float, unit: str, code: str | None = None) -> dict[str, Any]:
    return {"value": number(value), "unit": unit, "system": UCUM, "code": code or unit}


def when(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def day(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def compact(resource: dict[str, Any]) -> dict[str, Any]:
    """Drop empty elements (FHIR forbids empty strings, lists and objects)."""
    return {k: v for k, v in resource.items() if v not in (None, "", [], {})}


def practitioner_ref(ctx: Any, user_id: int | None) -> dict[str, Any] | None:
    """The Practitioner of a user in this organization (None if they are not a member)."""
    if user_id is None:
        return None
    membership_id = ctx.membership_by_user.get(user_id)
    return ref("Practitioner", membership_id) if membership_id is not None else None


def status_concept(system: str, code: str) -> dict[str, Any]:
    return {"coding": [{"system": system, "code": code}]}


def latest_of(first: str, *others: Any) -> Any:
    """The latest of several change times (NULLs ignored), as a database expression."""
    return Greatest(F(first), *(Coalesce(other, F(first)) for other in others))


def latest_related(queryset: Any, fk: str, column: str) -> Subquery:
    """The latest ``column`` of the rows of ``queryset`` whose ``fk`` is the outer row."""
    return Subquery(
        queryset.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(latest=Max(column))
        .values("latest")[:1]
    )
