from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from mesocare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_measurements_are_recorded_with_landmark_and_distance(clinic):
    api = clinic.api("practitioner")
    today = timezone.localdate().isoformat()
    body = {
        "kind": "circumference",
        "landmark": "thigh_left",
        "distance_cm": "15",
        "value": "58.5",
        "measured_on": today,
    }
    response = api.post(f"patients/{clinic.patient.pk}/measurements", body)
    assert response.status_code == 201, response.content
    assert response.json()["unit"] == "cm"
    assert AuditEvent.objects.filter(action="create", object_type="outcomes.measurement").exists()
    missing = api.post(f"patients/{clinic.patient.pk}/measurements", {**body, "distance_cm": None})
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "distance_cm"
    weight = api.post(
        f"patients/{clinic.patient.pk}/measurements",
        {"kind": "weight", "value": "61.2", "measured_on": today},
    )
    assert weight.json()["unit"] == "kg"
    listed = api.get(f"patients/{clinic.patient.pk}/measurements").json()
    assert len(listed) == 2


def test_measurement_validation_and_permissions(clinic, other_clinic):
    body = {"kind": "circumference", "landmark": "waist_umbilicus", "value": "80",
            "measured_on": timezone.localdate().isoformat()}  # fmt: skip
    path = f"patients/{clinic.patient.pk}/measurements"
    assert clinic.api("practitioner").post(path, {**body, "value": "-1"}).status_code == 422
    future = (timezone.localdate() + dt.timedelta(days=2)).isoformat()
    assert clinic.api("practitioner").post(path, {**body, "measured_on": future}).status_code == 422
    assert clinic.api("reception").post(path, body).status_code == 403
    assert other_clinic.api("admin").post(path, body).status_code == 404


def test_measurement_list_query_count_is_bounded(clinic, django_assert_max_num_queries):
    api = clinic.api("practitioner")
    for v in ("80", "79", "78", "77"):
        api.post(
            f"patients/{clinic.patient.pk}/measurements",
            {
                "kind": "circumference",
                "landmark": "waist_umbilicus",
                "value": v,
                "measured_on": timezone.localdate().isoformat(),
            },  # fmt: skip
        )
    with django_assert_max_num_queries(6):
        assert len(api.get(f"patients/{clinic.patient.pk}/measurements").json()) == 4


def test_plan_progress_has_scores_measurements_sessions_and_the_response_check(clinic, make):
    plan = make.plan(baseline=12, sessions=6)
    now = timezone.now()
    make.assessment(plan.patient, 10, at=now - dt.timedelta(days=20), plan=plan, session_index=4)
    make.assessment(plan.patient, 2, at=now - dt.timedelta(days=1), plan=plan, scale_id="gais")
    for i in range(1, 5):
        make.session(plan=plan, index=i, signed_at=now - dt.timedelta(days=50 - 7 * i))
    api = clinic.api("practitioner")
    for days, value in ((50, "60"), (1, "57.5")):
        on = (timezone.localdate() - dt.timedelta(days=days)).isoformat()
        api.post(
            f"patients/{plan.patient_id}/measurements",
            {"kind": "circumference", "landmark": "thigh_left", "distance_cm": "15",
             "value": value, "measured_on": on},
        )  # fmt: skip
    body = api.get(f"plans/{plan.pk}/progress").json()
    (scale,) = body["scales"]
    assert scale["scale_id"] == "hexsel-css"
    assert [p["total"] for p in scale["points"]] == ["12.00", "10.00"]
    assert scale["points"][0]["baseline"] is True
    assert [s["index"] for s in body["sessions"]] == [1, 2, 3, 4]
    assert [s["response_check"] for s in body["sessions"]] == [False, False, False, True]
    (series,) = body["measurements"]
    assert series["key"] == "circumference:thigh_left@15cm"
    assert series["change"] == "-2.50"
    assert body["gais"][0]["rating"] == "2.00"


def test_plan_progress_of_another_organization_is_not_found(clinic, other_clinic, make):
    plan = make.plan(baseline=12)
    assert other_clinic.api("admin").get(f"plans/{plan.pk}/progress").status_code == 404
    assert clinic.api("reception").get(f"plans/{plan.pk}/progress").status_code == 403
