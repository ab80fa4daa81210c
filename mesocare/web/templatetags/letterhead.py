"""`{% letterhead organization location %}`: the clinic's letterhead at the top of a PDF
(logo, organization name, the location's address and phone). Without a location the
organization's first active location gives the address."""

from __future__ import annotations

from typing import Any

from django import template

from mesocare.clinics import letterhead as letterheads
from mesocare.clinics.models import Location, Organization

register = template.Library()


@register.inclusion_tag("web/pdf/_letterhead.html")
def letterhead(organization: Organization, location: Location | None = None) -> dict[str, Any]:
    if location is None:
        location = Location.objects.for_org(organization.pk).filter(is_active=True).first()
    return {"letterhead": letterheads.letterhead(organization, location)}
