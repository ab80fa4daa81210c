"""Photo ingest and access: metadata stripped, orientation normalised, private, audited."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from mesocare.audit.models import AuditEvent
from mesocare.outcomes.imaging import ImageRejected, process_image
from mesocare.outcomes.models import Photo
from mesocare.patients.models import Consent
from mesocare.patients.services.records import withdraw_consent

GPS_IFD = 0x8825


def jpeg_with_exif(size=(60, 40), orientation=6) -> bytes:
    image = Image.new("RGB", size, "white")
    image.paste((255, 0, 0), (0, 0, 20, 40))  # a red band on the left
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    exif[0x0112] = orientation  # rotate 90° clockwise to view
    exif[0x9003] = "2025:01:02 03:04:05"
    gps = {1: "N", 2: (45.0, 27.0, 50.0), 3: "E", 4: (9.0, 11.0, 24.0)}
    exif[GPS_IFD] = gps
    buf = io.BytesIO()
    image.save(buf, "JPEG", exif=exif.tobytes(), quality=95)
    return buf.getvalue()


def test_the_test_image_really_has_exif_and_gps():
    image = Image.open(io.BytesIO(jpeg_with_exif()))
    exif = image.getexif()
    assert exif[0x010F] == "PhoneMaker"
    assert exif.get_ifd(GPS_IFD)


def test_ingest_strips_exif_and_gps_and_applies_the_orientation():
    processed = process_image(jpeg_with_exif())
    stored = Image.open(io.BytesIO(processed.data))
    assert stored.format == "JPEG"
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    assert b"PhoneMaker" not in processed.data and b"Exif" not in processed.data
    # Orientation 6 = rotate 90° clockwise: 60×40 becomes 40×60, the red band on top.
    assert stored.size == (40, 60)
    r, g, b = stored.convert("RGB").getpixel((20, 5))
    assert r > 200 and g < 60
    thumb = Image.open(io.BytesIO(processed.thumbnail))
    assert dict(thumb.getexif()) == {}


def test_png_text_chunks_are_dropped():
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", "secret location")
    buf = io.BytesIO()
    Image.new("RGBA", (10, 10), (0, 0, 255, 255)).save(buf, "PNG", pnginfo=info)
    processed = process_image(buf.getvalue())
    assert processed.content_type == "image/png"
    assert b"secret location" not in processed.data


@pytest.mark.parametrize(
    "data",
    [b"", b"GIF89a not really", b"%PDF-1.4 pretending to be an image", b"\xff\xd8\xff broken"],
)
def test_non_images_are_rejected_by_content(data):
    with pytest.raises(ImageRejected):
        process_image(data)


def test_other_image_types_are_rejected():
    buf = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buf, "GIF")
    with pytest.raises(ImageRejected, match="Unsupported image type GIF"):
        process_image(buf.getvalue())


def test_oversized_uploads_are_rejected():
    with pytest.raises(ImageRejected, match="larger than 15 MB"):
        process_image(b"\xff" * (15 * 1024 * 1024 + 1))


def upload(api, patient_id, data=None, **fields):
    form = {"body_zone": "abdomen_ul", "view": "front", **fields}
    form["file"] = SimpleUploadedFile("p.jpg", data or jpeg_with_exif(), "image/jpeg")
    return api.client.post(f"/api/v1/patients/{patient_id}/photos", form, **api.headers)


@pytest.mark.django_db
def test_upload_stores_a_clean_file_outside_any_public_url(clinic, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    response = upload(clinic.api("practitioner"), clinic.patient.pk)
    assert response.status_code == 201, response.content
    body = response.json()
    photo = Photo.objects.get(pk=body["id"])
    path = tmp_path / photo.file.name
    assert path.exists() and str(path).startswith(str(tmp_path))
    assert dict(Image.open(path).getexif()) == {}
    assert body["file_url"] == f"/api/v1/photos/{photo.pk}/file"
    assert body["consent_scope"] == "clinical"
    assert len(body["sha256"]) == 64
    with pytest.raises(PermissionError, match="no public URL"):
        photo.file.url  # noqa: B018


@pytest.mark.django_db
def test_upload_validation_is_problem_json(clinic, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    api = clinic.api("practitioner")
    bad = upload(api, clinic.patient.pk, data=b"not an image")
    assert bad.status_code == 422
    assert bad["Content-Type"] == "application/problem+json"
    assert bad.json()["errors"][0]["field"] == "file"
    assert upload(api, clinic.patient.pk, view="upside_down").status_code == 422
    assert upload(api, clinic.patient.pk, body_zone="moon").status_code == 422
    assert clinic.api("reception").client.post(
        f"/api/v1/patients/{clinic.patient.pk}/photos", {}, **clinic.api("reception").headers
    ).status_code in (403, 422)
    assert not Photo.objects.exists()


@pytest.mark.django_db
def test_photo_file_is_served_only_to_the_organization_and_every_read_is_audited(
    clinic, other_clinic, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    photo_id = upload(clinic.api("practitioner"), clinic.patient.pk).json()["id"]
    api = clinic.api("practitioner")
    response = api.client.get(f"/api/v1/photos/{photo_id}/file", **api.headers)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert "no-store" in response["Cache-Control"]
    data = b"".join(response.streaming_content)
    assert dict(Image.open(io.BytesIO(data)).getexif()) == {}
    reads = AuditEvent.objects.filter(action="read", object_type="outcomes.photo")
    assert reads.count() == 1 and reads.get().patient_id == clinic.patient.pk
    stranger = other_clinic.api("admin")
    denied = stranger.client.get(f"/api/v1/photos/{photo_id}/file", **stranger.headers)
    assert denied.status_code == 404
    assert Client().get(f"/api/v1/photos/{photo_id}/file").status_code == 401
    reception = clinic.api("reception")
    assert (
        reception.client.get(f"/api/v1/photos/{photo_id}/file", **reception.headers).status_code
        == 403
    )
    assert reads.count() == 1


@pytest.mark.django_db
def test_consent_scope_comes_from_the_photo_consent_and_withdrawal_narrows_it(
    clinic, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    consent = Consent.objects.create(
        organization=clinic.org,
        patient=clinic.patient,
        kind="photo",
        version="1",
        signed_on="2025-01-01",
        photo_use="clinical_and_marketing",
    )
    api = clinic.api("practitioner")
    first = upload(api, clinic.patient.pk).json()
    assert first["consent_scope"] == "clinical_and_marketing"
    withdraw_consent(clinic.actor("practitioner"), consent)
    assert Photo.objects.get(pk=first["id"]).consent_scope == "clinical"
    assert upload(api, clinic.patient.pk).json()["consent_scope"] == "clinical"


@pytest.mark.django_db
def test_photo_list_query_count_is_bounded(
    clinic, settings, tmp_path, django_assert_max_num_queries
):
    settings.MEDIA_ROOT = tmp_path
    api = clinic.api("practitioner")
    for _ in range(3):
        upload(api, clinic.patient.pk)
    with django_assert_max_num_queries(8):
        response = api.get(f"patients/{clinic.patient.pk}/photos")
    assert len(response.json()) == 3
