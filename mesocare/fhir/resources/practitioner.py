"""Practitioner: a member of the clinic's staff (one per membership, so the id is scoped to
the organization)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.clinics.models import Membership
from mesocare.clinics.permissions import Perm
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact
from mesocare.fhir.search import token_filter

ACTIVE = {"true": Q(is_active=True), "false": Q(is_active=False)}


def build(membership: Membership, ctx: MappingContext) -> dict[str, Any]:
    user = membership.user
    name = user.full_name or user.email
    return compact(
        {
            "active": membership.is_active,
            "name": [{"text": name}],
            "telecom": [{"system": "email", "value": user.email}],
        }
    )


PRACTITIONER = register(
    ResourceType(
        name="Practitioner",
        perm=Perm.ORG_VIEW,
        patient_data=False,
        sources=(
            Source(
                Membership,
                build,
                last_updated="created_at",
                patient_path=None,
                select=("user",),
                filters={"active": token_filter(ACTIVE)},
            ),
        ),
        params=(SearchParam("active", "token", "true | false"),),
    )
)
