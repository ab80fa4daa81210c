"""Assessment pages: the patient's Assessments tab, scale forms with anchors, live score."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from mesocare.assessments.models import Assessment
from mesocare.assessments.services import record_assessment

pytestmark = pytest.mark.django_db


def signed_in(clinic: Any, role: str = "practitioner") -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def test_the_scale_form_shows_each_levels_anchor_text(clinic: Any) -> None:
    page = signed_in(clinic).get(
        f"/patients/{clinic.patient.pk}/assessments/new", {"scale": "hexsel-css"}
    )
    assert page.status_code == 200
    html = page.content.decode()
    for anchor in ("A large amount: 10 or more", "Deep depressions", "&#x27;Mattress&#x27;"):
        assert anchor in html
    assert 'hx-post="/scales/hexsel-css/preview"' in html


def test_the_enumerated_norwood_form_offers_stage_codes(clinic: Any) -> None:
    page = signed_in(clinic).get(
        f"/patients/{clinic.patient.pk}/assessments/new", {"scale": "norwood"}
    )
    assert 'value="III-vertex"' in page.content.decode()


def test_the_htmx_partial_computes_total_and_band(clinic: Any) -> None:
    client = signed_in(clinic)
    items = {
        "number_of_depressions": "3",
        "depth_of_depressions": "3",
        "morphology": "2",
        "laxity": "2",
        "nurnberger_muller": "2",
    }
    response = client.post("/scales/hexsel-css/preview", items, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<strong>12</strong>" in html and "band-severe" in html
    partial = client.post("/scales/hexsel-css/preview", {"laxity": "1"})
    assert "1 of 5 items rated" in partial.content.decode()


def test_the_partial_scores_decimal_pain(clinic: Any) -> None:
    response = signed_in(clinic).post("/scales/vas-pain/preview", {"score": "6.5"})
    assert "<strong>6.5</strong>" in response.content.decode()


def test_submitting_the_form_records_the_assessment(clinic: Any) -> None:
    client = signed_in(clinic)
    response = client.post(
        f"/patients/{clinic.patient.pk}/assessments/new",
        {"scale": "glogau", "type": "3", "body_area": "face"},
    )
    assert response.status_code == 302
    stored = Assessment.objects.get()
    assert (stored.scale_id, stored.band, stored.body_area) == ("glogau", "advanced", "face")


def test_a_missing_item_keeps_the_form_with_its_error(clinic: Any) -> None:
    response = signed_in(clinic).post(
        f"/patients/{clinic.patient.pk}/assessments/new", {"scale": "gags", "forehead": "2"}
    )
    assert response.status_code == 200
    assert b"errorlist" in response.content
    assert not Assessment.objects.exists()


def test_the_tab_shows_history_and_trend_data_per_scale(clinic: Any) -> None:
    actor = clinic.actor("practitioner")
    for score in (8, 6, 3):
        record_assessment(actor, clinic.patient, scale_id="vas-pain", items={"score": score})
    page = signed_in(clinic).get(f"/patients/{clinic.patient.pk}/assessments")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-trend="trend-vas-pain-data"' in html
    marker = 'id="trend-vas-pain-data" type="application/json">'
    start = html.index(marker) + len(marker)
    data = json.loads(html[start : html.index("</script>", start)])
    assert [p["total"] for p in data["points"]] == [8, 6, 3]
    assert "mesocare/assessments.js" in html and "<script>" not in html


def test_reception_cannot_open_the_assessments_tab(clinic: Any) -> None:
    response = signed_in(clinic, "reception").get(f"/patients/{clinic.patient.pk}/assessments")
    assert response.status_code == 403


def test_the_tab_is_bounded_in_queries(clinic: Any, django_assert_max_num_queries: Any) -> None:
    actor = clinic.actor("practitioner")
    for score in range(8):
        record_assessment(actor, clinic.patient, scale_id="vas-pain", items={"score": score})
    client = signed_in(clinic)
    with django_assert_max_num_queries(40) as few:
        client.get(f"/patients/{clinic.patient.pk}/assessments")
    record_assessment(actor, clinic.patient, scale_id="glogau", items={"type": 2})
    for score in range(8):
        record_assessment(actor, clinic.patient, scale_id="vas-pain", items={"score": score})
    with django_assert_max_num_queries(len(few.captured_queries) + 1):
        client.get(f"/patients/{clinic.patient.pk}/assessments")
