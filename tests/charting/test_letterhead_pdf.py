"""The clinic's letterhead on PDFs: the logo an admin uploads is stored without any metadata
(EXIF with GPS, comments) and fitted to the letterhead; the session summary and the plan PDF
carry the organization's name, the location's address and phone, the logo and local times."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.test import Client
from PIL import Image
from pypdf import PdfReader

from mesocare.audit.models import AuditEvent
from mesocare.clinics import letterhead
from mesocare.clinics.models import Organization
from mesocare.errors import DomainError, Invalid


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "private"


def camera_jpeg(width: int = 1600, height: int = 1200) -> bytes:
    """A JPEG as a phone writes it: EXIF with GPS and a comment."""
    image = Image.new("RGB", (width, height), (15, 110, 110))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N", 2: (45.0, 28.0, 0.0)}  # GPS
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"secret comment")
    return out.getvalue()


def test_the_logo_is_stored_without_metadata_fitted_and_audited(clinic: Any) -> None:
    org = letterhead.store_logo(clinic.actor("admin"), camera_jpeg())
    with org.logo.open("rb") as handle:
        data = handle.read()
    stored = Image.open(io.BytesIO(data))
    assert stored.format == "PNG"
    assert stored.width <= 600 and stored.height <= 240
    assert not stored.getexif() and "comment" not in stored.info
    assert b"PhoneMaker" not in data and b"secret comment" not in data
    assert AuditEvent.objects.filter(summary="letterhead logo uploaded").count() == 1
    assert letterhead.logo_data_uri(org).startswith("data:image/png;base64,")

    letterhead.remove_logo(clinic.actor("admin"))
    assert not Organization.objects.get(pk=clinic.org.pk).logo


def test_only_admins_set_the_logo_and_only_images_are_accepted(clinic: Any) -> None:
    with pytest.raises(DomainError):
        letterhead.store_logo(clinic.actor("reception"), camera_jpeg())
    with pytest.raises(Invalid) as bad:
        letterhead.store_logo(clinic.actor("admin"), b"%PDF-1.4 not an image")
    assert bad.value.errors[0]["field"] == "logo"
    assert not Organization.objects.get(pk=clinic.org.pk).logo


def _pdf(response: Any) -> PdfReader:
    assert response.status_code == 200, response.content[:300]
    return PdfReader(io.BytesIO(response.content))


def test_the_session_summary_carries_the_letterhead_and_the_logo(chart: Any) -> None:
    clinic = chart.clinic
    clinic.location.address = "Via Dante 12, 20121 Milano"
    clinic.location.phone = "+39 02 1234 5678"
    clinic.location.save()
    session = chart.session()
    client = Client()
    client.force_login(clinic.user("practitioner"))

    without = _pdf(client.get(f"/sessions/{session.pk}/summary.pdf"))
    text = without.pages[0].extract_text()
    assert clinic.org.name in text
    assert "Via Dante 12, 20121 Milano" in text and "+39 02 1234 5678" in text
    assert len(without.pages[0].images) == 0

    letterhead.store_logo(clinic.actor("admin"), camera_jpeg())
    with_logo = _pdf(client.get(f"/sessions/{session.pk}/summary.pdf"))
    assert len(with_logo.pages[0].images) == 1
    assert clinic.org.name in with_logo.pages[0].extract_text()
