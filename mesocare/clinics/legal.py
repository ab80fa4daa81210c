"""The organization's legal details: what an invoice says about the clinic as seller."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import diff, record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import LegalDetails
from mesocare.clinics.permissions import Perm
from mesocare.lib.validation import full_clean_or_invalid

FIELDS = (
    "legal_name",
    "vat_number",
    "tax_code",
    "address_line1",
    "address_line2",
    "postcode",
    "city",
    "province",
    "country",
    "tax_regime",
    "rea_office",
    "rea_number",
    "iban",
    "email",
    "default_recipient_code",
)
_UPPER = {"vat_number", "tax_code", "province", "country", "rea_office", "iban"}


def legal_details(org_id: int) -> LegalDetails | None:
    return LegalDetails.objects.filter(organization_id=org_id).first()


def _normalized(values: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key in FIELDS:
        if key not in values:
            continue
        value = values[key]
        if isinstance(value, str):
            value = value.strip()
            if key in _UPPER:
                value = re.sub(r"[\s.-]", "", value).upper() if key != "province" else value.upper()
            if key == "default_recipient_code":
                value = value.upper() or "0000000"
        result[key] = value
    return result


@transaction.atomic
def save_legal_details(actor: Actor, *, channel: str = "web", **values: Any) -> LegalDetails:
    """Create or change the organization's legal details (admins; audited)."""
    actor.require(Perm.ORG_MANAGE)
    fields = _normalized(values)
    details = LegalDetails.objects.select_for_update().filter(organization_id=actor.org_id).first()
    creating = details is None
    if details is None:
        details = LegalDetails(organization_id=actor.org_id)
    changes = fields if creating else diff(details, fields)
    for key, value in fields.items():
        setattr(details, key, value)
    full_clean_or_invalid(details, exclude=["organization"])
    details.save()
    if creating or changes:
        record(
            actor,
            AuditAction.CREATE if creating else AuditAction.UPDATE,
            details,
            summary="organization legal details",
            changes={k: [None, str(v)] for k, v in changes.items()} if creating else changes,
            channel=channel,
        )
    return details
