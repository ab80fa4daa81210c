"""PractitionerRole: what a staff member does in the clinic (role, title, usual location)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from mesocare.clinics.choices import Role
from mesocare.clinics.models import Membership
from mesocare.clinics.permissions import Perm
from mesocare.fhir.registry import MappingContext, ResourceType, SearchParam, Source, register
from mesocare.fhir.resources.common import compact, ref
from mesocare.fhir.search import reference_pk, token_filter

ACTIVE = {"true": Q(is_active=True), "false": Q(is_active=False)}


def build(membership: Membership, ctx: MappingContext) -> dict[str, Any]:
    role = Role(membership.role)
    code: dict[str, Any] = {
        "coding": [{"system": ctx.canonical("CodeSystem/staff-role"), "code": role.value}],
        "text": membership.title or str(role.label),
    }
    return compact(
        {
            "active": membership.is_active,
            "practitioner": ref("Practitioner", membership.pk),
            "organization": ref("Organization", membership.organization_id),
            "code": [code],
            "location": [ref("Location", membership.default_location_id)]
            if membership.default_location_id
            else [],
        }
    )


def _practitioner(raw: str) -> Q:
    return Q(pk=reference_pk(raw, "Practitioner"))


PRACTITIONER_ROLE = register(
    ResourceType(
        name="PractitionerRole",
        perm=Perm.ORG_VIEW,
        patient_data=False,
        sources=(
            Source(
                Membership,
                build,
                last_updated="created_at",
                patient_path=None,
                filters={"active": token_filter(ACTIVE), "practitioner": _practitioner},
            ),
        ),
        params=(
            SearchParam("active", "token", "true | false"),
            SearchParam("practitioner", "reference", "The staff member (Practitioner/<id>)."),
        ),
    )
)
