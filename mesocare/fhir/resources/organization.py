"""Organization: the clinic itself (the organization the actor acts in)."""

from __future__ import annotations

from typing import Any

from mesocare.clinics.models import Organization
from mesocare.clinics.permissions import Perm
from mesocare.fhir.registry import MappingContext, ResourceType, Source, register
from mesocare.fhir.resources.common import compact


def build(org: Organization, ctx: MappingContext) -> dict[str, Any]:
    return compact(
        {
            "identifier": [
                {"system": ctx.canonical("identifier/organization-slug"), "value": org.slug}
            ],
            "active": True,
            "name": org.name,
        }
    )


ORGANIZATION = register(
    ResourceType(
        name="Organization",
        perm=Perm.ORG_VIEW,
        patient_data=False,
        sources=(Source(Organization, build, last_updated="created_at", patient_path=None),),
        documentation="The clinic the token belongs to (only that one).",
    )
)
