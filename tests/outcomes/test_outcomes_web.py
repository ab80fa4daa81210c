"""Outcomes pages: patient tab, photo view, comparison, progress chart, reports."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from PIL import Image

from mesocare.audit.models import AuditEvent
from mesocare.outcomes.services import store_photo

pytestmark = pytest.mark.django_db


def signed_in(clinic, role="practitioner"):
    client = Client()
    client.force_login(clinic.user(role))
    return client


def jpeg(color="red"):
    buf = io.BytesIO()
    Image.new("RGB", (30, 20), color).save(buf, "JPEG")
    return buf.getvalue()


@pytest.fixture
def photos(clinic, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    now = timezone.now()
    return [
        store_photo(
            clinic.org.pk,
            clinic.patient,
            jpeg(c),
            body_zone="abdomen_ul",
            view="front",
            taken_at=now - dt.timedelta(days=d),
        )  # fmt: skip
        for c, d in (("red", 60), ("blue", 1), ("green", 30))
    ]


def test_outcomes_tab_lists_photos_and_measurements_with_bounded_queries(
    clinic, photos, django_assert_max_num_queries
):
    client = signed_in(clinic)
    with django_assert_max_num_queries(25):
        page = client.get(f"/patients/{clinic.patient.pk}/outcomes")
    assert page.status_code == 200
    body = page.content.decode()
    assert body.count("?thumbnail=1") == 3
    assert "/photos/compare?before=" in body
    assert "<script>" not in body and "style=" not in body


def test_recording_a_measurement_and_uploading_a_photo_from_the_page(clinic, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client = signed_in(clinic)
    url = f"/patients/{clinic.patient.pk}/outcomes"
    response = client.post(
        url,
        {
            "measurement": "1",
            "kind": "circumference",
            "landmark": "hips_max",
            "value": "101.5",
            "measured_on": timezone.localdate().isoformat(),
        },  # fmt: skip
    )
    assert response.status_code == 302
    missing = client.post(
        url,
        {
            "measurement": "1",
            "kind": "circumference",
            "landmark": "thigh_left",
            "value": "50",
            "measured_on": timezone.localdate().isoformat(),
        },  # fmt: skip
    )
    assert missing.status_code == 200 and b"distance" in missing.content
    upload = SimpleUploadedFile("x.jpg", jpeg(), "image/jpeg")
    response = client.post(url, {"file": upload, "body_zone": "chin", "view": "left_45"})
    assert response.status_code == 302
    junk = SimpleUploadedFile("x.jpg", b"nope", "image/jpeg")
    response = client.post(url, {"file": junk, "body_zone": "chin", "view": "left_45"})
    assert response.status_code == 200 and b"not a readable image" in response.content


def test_photo_view_is_audited_and_hidden_from_other_organizations(clinic, other_clinic, photos):
    before = AuditEvent.objects.filter(object_type="outcomes.photo", action="read").count()
    response = signed_in(clinic).get(f"/photos/{photos[0].pk}/file")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    after = AuditEvent.objects.filter(object_type="outcomes.photo", action="read")
    assert after.count() == before + 1 and after.last().channel == "web"
    assert signed_in(other_clinic, "admin").get(f"/photos/{photos[0].pk}/file").status_code == 404
    assert signed_in(clinic, "reception").get(f"/photos/{photos[0].pk}/file").status_code == 403
    assert Client().get(f"/photos/{photos[0].pk}/file").status_code == 302  # to sign-in


def test_compare_page_orders_before_and_after_and_uses_static_js(clinic, photos):
    old, new, _mid = photos
    page = signed_in(clinic).get(
        f"/patients/{clinic.patient.pk}/photos/compare?before={new.pk}&after={old.pk}"
    )
    assert page.status_code == 200
    body = page.content.decode()
    assert body.index(f"/photos/{old.pk}/file") < body.index(f"/photos/{new.pk}/file")
    assert "mesocare/outcomes/compare.js" in body and 'data-compare-mode="slider"' in body


def test_compare_refuses_different_views(clinic, photos):
    other = store_photo(clinic.org.pk, clinic.patient, jpeg(), body_zone="chin", view="front")
    response = signed_in(clinic).get(
        f"/patients/{clinic.patient.pk}/photos/compare?before={photos[0].pk}&after={other.pk}"
    )
    assert response.status_code == 302


def test_progress_page_embeds_chart_data_without_inline_script(clinic, make):
    plan = make.plan(baseline=12)
    make.assessment(plan.patient, 9, plan=plan, session_index=4)
    page = signed_in(clinic).get(f"/plans/{plan.pk}/progress")
    assert page.status_code == 200
    body = page.content.decode()
    assert 'id="progress-data" type="application/json"' in body
    assert "chart.umd.min.js" in body and "progress.js" in body
    assert signed_in(clinic, "reception").get(f"/plans/{plan.pk}/progress").status_code == 403


def test_report_page_and_csv(clinic, make, django_assert_max_num_queries):
    plan = make.plan(baseline=12, status="completed")
    make.assessment(plan.patient, 8, plan=plan)
    client = signed_in(clinic)
    with django_assert_max_num_queries(15):
        page = client.get("/reports/outcomes")
    assert page.status_code == 200 and b"-4.00" in page.content
    csv = client.get("/reports/outcomes?format=csv")
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode().splitlines()
    assert lines[0].startswith("protocol_id,protocol,scale,started")
    assert ",-4.0," in lines[1]
    assert AuditEvent.objects.filter(action="export", object_type="outcomes.report").exists()


def test_business_page(clinic, make, django_assert_max_num_queries):
    make.plan(status="completed")
    client = signed_in(clinic, "admin")
    with django_assert_max_num_queries(15):
        page = client.get("/reports/business")
    assert page.status_code == 200 and b"Room utilisation" in page.content
