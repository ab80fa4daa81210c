"""The clinic's letterhead on documents: organization name, the location's address and phone,
and the organization's logo.

The logo is uploaded by an admin (org.manage). Like patient photos it is validated by content
and re-encoded from its pixels alone (`mesocare.outcomes.imaging.process_image`), so no EXIF,
GPS, XMP or comment survives; it is then fitted into `LOGO_BOX` and stored as PNG. PDFs embed
it as a data URI (WeasyPrint fetches nothing over the network)."""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Organization
from mesocare.clinics.permissions import Perm
from mesocare.errors import Invalid
from mesocare.outcomes.imaging import ImageRejected, process_image

LOGO_BOX = (600, 240)


@dataclass(frozen=True)
class Letterhead:
    name: str
    address: str
    phone: str
    logo_data_uri: str


def _fitted_png(data: bytes) -> bytes:
    try:
        processed = process_image(data)
    except ImageRejected as exc:
        raise Invalid.field("logo", _("The file is not a readable image."), "bad_image") from exc
    with Image.open(io.BytesIO(processed.data)) as image:
        fitted = ImageOps.contain(image.convert("RGBA"), LOGO_BOX, Image.Resampling.LANCZOS)
    clean = Image.new("RGBA", fitted.size)
    clean.paste(fitted)
    out = io.BytesIO()
    clean.save(out, "PNG", optimize=True)
    return out.getvalue()


@transaction.atomic
def store_logo(actor: Actor, data: bytes, *, channel: str = "web") -> Organization:
    """Replace the organization's logo with ``data`` (any accepted image type)."""
    actor.require(Perm.ORG_MANAGE)
    png = _fitted_png(data)
    org = Organization.objects.select_for_update().get(pk=actor.org_id)
    old = org.logo.name if org.logo else ""
    org.logo.save(f"org-{org.pk}.png", ContentFile(png), save=True)
    if old and old != org.logo.name:
        org.logo.storage.delete(old)
    record(actor, AuditAction.UPDATE, org, summary="letterhead logo uploaded", channel=channel)
    return org


@transaction.atomic
def remove_logo(actor: Actor, *, channel: str = "web") -> Organization:
    actor.require(Perm.ORG_MANAGE)
    org = Organization.objects.select_for_update().get(pk=actor.org_id)
    if org.logo:
        org.logo.delete(save=True)
        record(actor, AuditAction.UPDATE, org, summary="letterhead logo removed", channel=channel)
    return org


def logo_data_uri(org: Organization) -> str:
    """The stored logo as a `data:` URI, or "" when there is none (or its file is gone)."""
    if not org.logo:
        return ""
    try:
        with org.logo.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    return "data:image/png;base64," + base64.b64encode(data).decode("ascii")


def letterhead(org: Organization, location: Location | None) -> Letterhead:
    return Letterhead(
        name=org.name,
        address=location.address if location is not None else "",
        phone=location.phone if location is not None else "",
        logo_data_uri=logo_data_uri(org),
    )
