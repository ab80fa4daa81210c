"""A careless or hostile upload in the portal's check-in form (too large, not a picture) gets a
message next to the field and stores nothing."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mesocare.notify.links import CheckInLink, make_token
from mesocare.outcomes.models import Photo
from mesocare.portal.models import CheckInResponse

pytestmark = pytest.mark.django_db

ANSWERS = {"pain_vas": "2", "bruising": "mild", "swelling": "none", "redness": "none"}


def _url(clinic, session):
    link = CheckInLink(
        organization=clinic.org.pk, patient=session.patient.pk, session=session.pk, when="24h"
    )
    return reverse("portal:checkin", args=[make_token(link)])


def test_a_photo_over_15_mb_is_refused_and_nothing_is_stored(clinic, make):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    huge = SimpleUploadedFile("area.jpg", b"\xff\xd8" + b"0" * (15 * 1024 * 1024), "image/jpeg")
    response = Client().post(_url(clinic, session), {**ANSWERS, "photo": huge})
    assert response.status_code == 422
    assert "The photo is larger than 15 MB." in response.content.decode()
    assert not CheckInResponse.objects.exists() and not Photo.objects.exists()


def test_a_file_that_is_not_a_picture_is_refused_and_nothing_is_stored(clinic, make):
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    fake = SimpleUploadedFile("area.jpg", b"MZ\x90\x00 not an image at all", "image/jpeg")
    response = Client().post(_url(clinic, session), {**ANSWERS, "photo": fake})
    assert response.status_code == 422
    assert not CheckInResponse.objects.exists() and not Photo.objects.exists()
