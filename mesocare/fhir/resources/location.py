"""Location: the clinic's sites."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.clinics.models import Location
from mesocare.clinics.permissions import Perm
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, ref
from mesocare.fhir.search import token_filter

STATUS = {"active": Q(is_active=True), "inactive": Q(is_active=False)}


def build(location: Location, ctx: MappingContext) -> dict[str, Any]:
    return compact(
        {
            "status": "active" if location.is_active else "inactive",
            "name": location.name,
            "mode": "instance",
            "telecom": [{"system": "phone", "value": location.phone}] if location.phone else [],
            "address": {"text": location.address} if location.address else None,
            "managingOrganization": ref("Organization", location.organization_id),
        }
    )


LOCATION = register(
    ResourceType(
        name="Location",
        perm=Perm.ORG_VIEW,
        patient_data=False,
        sources=(
            Source(
                Location,
                build,
                # Locations keep no change time: the organization's creation stands in.
                last_updated="organization__created_at",
                patient_path=None,
                select=("organization",),
                filters={"status": token_filter(STATUS)},
            ),
        ),
        params=(SearchParam("status", "token", "active | inactive"),),
    )
)
