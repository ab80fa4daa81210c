"""A patient's assessments over the API: scored, stored with who and when, listed, immutable."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from mesocare.assessments.models import Assessment
from mesocare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
HEXSEL = {
    "number_of_depressions": 3,
    "depth_of_depressions": 3,
    "morphology": 2,
    "laxity": 2,
    "nurnberger_muller": 2,
}


def test_recording_an_assessment_scores_and_stores_it(api: Any, clinic: Any) -> None:
    path = f"patients/{clinic.patient.pk}/assessments"
    response = api.post(path, {"scale": "hexsel-css", "items": HEXSEL, "body_area": "thigh_l"})
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["scale"], body["total"], body["band"]) == ("hexsel-css", 12, "severe")
    assert body["assessed_by"]["id"] == clinic.user("admin").pk
    assert body["body_area"] == "thigh_l"
    stored = Assessment.objects.get(pk=body["id"])
    assert stored.organization_id == clinic.org.pk and stored.items == HEXSEL
    assert AuditEvent.objects.filter(
        object_id=str(stored.pk), action="create", patient_id=clinic.patient.pk
    ).exists()


def test_assessed_at_is_kept_and_the_list_is_newest_first(api: Any, clinic: Any) -> None:
    path = f"patients/{clinic.patient.pk}/assessments"
    earlier = (timezone.now() - dt.timedelta(days=30)).replace(microsecond=0)
    api.post(path, {"scale": "vas-pain", "items": {"score": 7}, "assessed_at": earlier.isoformat()})
    api.post(path, {"scale": "vas-pain", "items": {"score": 3}})
    items = api.get(path).json()
    assert [a["total"] for a in items] == [3, 7]
    assert dt.datetime.fromisoformat(items[1]["assessed_at"]) == earlier
    assert [a["scale"] for a in api.get(path, scale="gags").json()] == []


def test_bad_items_are_422_and_nothing_is_stored(api: Any, clinic: Any) -> None:
    path = f"patients/{clinic.patient.pk}/assessments"
    response = api.post(path, {"scale": "hexsel-css", "items": {**HEXSEL, "laxity": 9}})
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"] == [{"field": "laxity", "message": "must be between 0 and 3"}]
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scale": "nope", "items": {}}, "scale"),
        ({"items": {"score": 2}}, "scale"),
        ({"scale": "vas-pain"}, "items"),
        ({"scale": "vas-pain", "items": {"score": 2}, "assessed_at": "2999-01-01T00:00:00Z"},
         "assessed_at"),
        ({"scale": "vas-pain", "items": {"score": 2}, "assessed_at": "yesterday"}, "assessed_at"),
        ({"scale": "vas-pain", "items": {"score": 2}, "body_area": "x" * 65}, "body_area"),
    ],
)  # fmt: skip
def test_invalid_requests_are_422_naming_the_field(
    api: Any, clinic: Any, body: dict[str, Any], field: str
) -> None:
    response = api.post(f"patients/{clinic.patient.pk}/assessments", body)
    assert response.status_code == 422, response.content
    assert response["Content-Type"] == PROBLEM
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not Assessment.objects.exists()


def test_another_clinics_patient_is_404(api: Any, other_clinic: Any) -> None:
    path = f"patients/{other_clinic.patient.pk}/assessments"
    assert api.get(path).status_code == 404
    assert api.post(path, {"scale": "vas-pain", "items": {"score": 2}}).status_code == 404
    theirs = other_clinic.api().post(path, {"scale": "vas-pain", "items": {"score": 2}}).json()
    assert api.get(f"assessments/{theirs['id']}").status_code == 404


def test_one_assessment_is_readable_by_id(api: Any, clinic: Any) -> None:
    path = f"patients/{clinic.patient.pk}/assessments"
    created = api.post(path, {"scale": "glogau", "items": {"type": 2}}).json()
    assert api.get(f"assessments/{created['id']}").json()["band"] == "moderate"


def test_reception_may_not_record_or_read_assessments(clinic: Any) -> None:
    reception = clinic.api("reception")
    path = f"patients/{clinic.patient.pk}/assessments"
    assert reception.post(path, {"scale": "vas-pain", "items": {"score": 2}}).status_code == 403
    assert reception.get(path).status_code == 403


def test_there_is_no_way_to_edit_or_delete_an_assessment(api: Any, clinic: Any) -> None:
    path = f"patients/{clinic.patient.pk}/assessments"
    created = api.post(path, {"scale": "vas-pain", "items": {"score": 2}}).json()
    assert api.patch(f"assessments/{created['id']}", {"items": {"score": 9}}).status_code == 405
    assert api.delete(f"assessments/{created['id']}").status_code == 405
    assert api.delete(f"{path}/{created['id']}").status_code in (404, 405)
    assert Assessment.objects.get(pk=created["id"]).total == 2


def test_assessment_list_is_bounded_in_queries(
    api: Any, clinic: Any, django_assert_max_num_queries: Any
) -> None:
    path = f"patients/{clinic.patient.pk}/assessments"
    for score in range(6):
        api.post(path, {"scale": "vas-pain", "items": {"score": score}})
    with django_assert_max_num_queries(8):
        assert len(api.get(path).json()) == 6
