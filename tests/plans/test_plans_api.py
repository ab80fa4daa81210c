"""Treatment plans over the API: proposed from a protocol and a baseline, reviewed against new
assessments, and moved through proposed → active → completed | stopped."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.catalog.models import Protocol
from mesocare.plans.models import TreatmentPlan

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
CELLULITE = "cellulite_cocktail_nappage"  # hexsel-css; mild 4, moderate 6, severe 8; check at 4
PAIN = "pain_lidocaine"  # vas-pain; mild 3, moderate 4, severe 5; check at 3; target mild
HEXSEL_MODERATE = {
    "number_of_depressions": 2,
    "depth_of_depressions": 2,
    "morphology": 2,
    "laxity": 1,
    "nurnberger_muller": 2,
}  # total 9


def protocol_id(code: str) -> int:
    return Protocol.objects.get(organization__isnull=True, code=code).pk


def assess(api: Any, patient_id: int, scale: str, items: dict[str, Any]) -> int:
    response = api.post(f"patients/{patient_id}/assessments", {"scale": scale, "items": items})
    assert response.status_code == 201, response.content
    return int(response.json()["id"])


def make_plan(api: Any, patient_id: int, code: str, baseline: int | None, **extra: Any) -> Any:
    body = {"protocol": protocol_id(code), "baseline_assessment": baseline, **extra}
    return api.post(f"patients/{patient_id}/plans", body)


@pytest.fixture
def pain_plan(api: Any, clinic: Any) -> dict[str, Any]:
    baseline = assess(api, clinic.patient.pk, "vas-pain", {"score": 8})
    response = make_plan(api, clinic.patient.pk, PAIN, baseline, start_on="2030-03-04")
    assert response.status_code == 201, response.content
    return dict(response.json())


def test_a_plan_follows_the_band_rule_with_dated_windows(api: Any, clinic: Any) -> None:
    baseline = assess(api, clinic.patient.pk, "hexsel-css", HEXSEL_MODERATE)
    response = make_plan(api, clinic.patient.pk, CELLULITE, baseline, start_on="2030-01-07")
    assert response.status_code == 201, response.content
    plan = response.json()
    assert plan["status"] == "proposed"
    assert plan["sessions_planned"] == plan["sessions_by_rule"] == 6
    assert plan["interval_days"] == {"min": 7, "target": 7, "max": 21}
    assert plan["response_check_session"] == 4
    assert plan["maintenance_interval_days"] == 60
    assert plan["protocol"]["version"] == 1
    assert plan["baseline_assessment"]["band"] == "moderate"
    assert [s["index"] for s in plan["planned_sessions"]] == [1, 2, 3, 4, 5, 6]
    assert plan["planned_sessions"][2] == {
        "index": 3, "earliest": "2030-01-21", "target": "2030-01-21", "latest": "2030-02-18",
    }  # fmt: skip
    assert plan["history"][0]["kind"] == "created"
    assert AuditEvent.objects.filter(object_id=str(plan["id"]), action="create").exists()


def test_without_start_date_the_windows_are_undated(api: Any, clinic: Any) -> None:
    baseline = assess(api, clinic.patient.pk, "hexsel-css", HEXSEL_MODERATE)
    plan = make_plan(api, clinic.patient.pk, CELLULITE, baseline).json()
    assert plan["planned_sessions"][0] == {
        "index": 1,
        "earliest": None,
        "target": None,
        "latest": None,
    }


def test_the_practitioner_may_change_the_session_count_with_a_reason(api: Any, clinic: Any) -> None:
    baseline = assess(api, clinic.patient.pk, "hexsel-css", HEXSEL_MODERATE)
    missing = make_plan(api, clinic.patient.pk, CELLULITE, baseline, sessions=8)
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "sessions_reason"
    plan = make_plan(
        api, clinic.patient.pk, CELLULITE, baseline, sessions=8, sessions_reason="deep dimples"
    ).json()
    assert (plan["sessions_planned"], plan["sessions_by_rule"]) == (8, 6)
    assert plan["sessions_reason"] == "deep dimples"


def test_a_protocol_without_scale_plans_without_baseline(api: Any, clinic: Any) -> None:
    response = make_plan(api, clinic.patient.pk, "striae_ha_silicon_linear", None)
    assert response.status_code == 201, response.content
    assert response.json()["sessions_planned"] == 5
    assert response.json()["baseline_assessment"] is None


@pytest.mark.parametrize(
    ("scale", "items", "code", "field"),
    [
        ("vas-pain", {"score": 5}, "scale_mismatch", "baseline_assessment"),
        ("hexsel-css", dict.fromkeys(HEXSEL_MODERATE, 0), "nothing_to_treat",
         "baseline_assessment"),
    ],
)  # fmt: skip
def test_a_baseline_that_cannot_plan_the_course_is_422(
    api: Any, clinic: Any, scale: str, items: dict[str, Any], code: str, field: str
) -> None:
    baseline = assess(api, clinic.patient.pk, scale, items)
    response = make_plan(api, clinic.patient.pk, CELLULITE, baseline)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == code
    assert body["errors"][0]["field"] == field
    if code == "nothing_to_treat":
        assert "Nothing to treat" in body["detail"]
    assert not TreatmentPlan.objects.exists()


def test_a_stage_beyond_the_protocols_maximum_is_422_said_in_stages(api: Any, clinic: Any) -> None:
    baseline = assess(api, clinic.patient.pk, "norwood", {"stage": "VI"})
    response = make_plan(api, clinic.patient.pk, "hair_male_dutasteride", baseline)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "Hamilton-Norwood classification VI is beyond this protocol's maximum Va" in detail


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"baseline_assessment": None}, "baseline_assessment"),
        ({"sessions": 0, "sessions_reason": "too many"}, "sessions"),
        ({"start_on": "not a date"}, "start_on"),
        ({"protocol": "x"}, "protocol"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_plan_requests_are_422_naming_the_field(
    api: Any, clinic: Any, extra: dict[str, Any], field: str
) -> None:
    baseline = assess(api, clinic.patient.pk, "hexsel-css", HEXSEL_MODERATE)
    body = {"protocol": protocol_id(CELLULITE), "baseline_assessment": baseline, **extra}
    response = api.post(f"patients/{clinic.patient.pk}/plans", body)
    assert response.status_code == 422, response.content
    assert field in {e["field"] for e in response.json()["errors"]}
    assert not TreatmentPlan.objects.exists()


def test_a_baseline_of_another_patient_is_refused(api: Any, clinic: Any) -> None:
    other = api.post(
        "patients",
        {"given_name": "A", "family_name": "B", "birth_date": "1980-01-01", "sex_at_birth": "male"},
    ).json()
    baseline = assess(api, other["id"], "hexsel-css", HEXSEL_MODERATE)
    response = make_plan(api, clinic.patient.pk, CELLULITE, baseline)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "baseline_assessment"


def test_a_plan_keeps_the_protocol_version_it_was_made_from(api: Any, clinic: Any) -> None:
    copy = api.post("protocols", {"copy_of": protocol_id(CELLULITE)}).json()
    baseline = assess(api, clinic.patient.pk, "hexsel-css", HEXSEL_MODERATE)
    body = {"protocol": copy["id"], "baseline_assessment": baseline}
    first = api.post(f"patients/{clinic.patient.pk}/plans", body).json()
    api.patch(f"protocols/{copy['id']}", {"sessions_by_band": {"moderate": 9}, "name": "v2"})
    second = api.post(f"patients/{clinic.patient.pk}/plans", body).json()
    assert (first["protocol"]["version"], first["sessions_planned"]) == (1, 6)
    assert (second["protocol"]["version"], second["sessions_planned"]) == (2, 9)
    again = api.get(f"plans/{first['id']}").json()
    assert (again["protocol"]["version"], again["protocol"]["name"]) == (1, copy["name"])


def test_plans_are_listed_per_patient_and_readable_by_id(
    api: Any, clinic: Any, pain_plan: dict[str, Any]
) -> None:
    listed = api.get(f"patients/{clinic.patient.pk}/plans").json()
    assert [p["id"] for p in listed] == [pain_plan["id"]]
    assert api.get(f"plans/{pain_plan['id']}").json()["sessions_planned"] == 5


def test_other_clinics_patient_plan_and_protocol_are_404(
    api: Any, clinic: Any, other_clinic: Any, pain_plan: dict[str, Any]
) -> None:
    stranger = other_clinic.api()
    assert stranger.get(f"plans/{pain_plan['id']}").status_code == 404
    assert stranger.post(f"plans/{pain_plan['id']}/activate", {}).status_code == 404
    assert (
        stranger.post(f"plans/{pain_plan['id']}/review", {"items": {"score": 1}}).status_code == 404
    )
    assert stranger.get(f"patients/{clinic.patient.pk}/plans").status_code == 404
    theirs = stranger.post("protocols", {"copy_of": protocol_id(PAIN)}).json()
    baseline = assess(api, clinic.patient.pk, "vas-pain", {"score": 8})
    response = api.post(
        f"patients/{clinic.patient.pk}/plans",
        {"protocol": theirs["id"], "baseline_assessment": baseline},
    )
    assert response.status_code == 404


def test_states_move_forward_with_who_when_and_why(
    api: Any, clinic: Any, pain_plan: dict[str, Any]
) -> None:
    pid = pain_plan["id"]
    active = api.post(f"plans/{pid}/activate", {"reason": "patient agreed"}).json()
    assert active["status"] == "active"
    assert active["status_changed_by"]["id"] == clinic.user("admin").pk
    assert active["status_reason"] == "patient agreed"
    done = api.post(f"plans/{pid}/complete", {"on": "2030-04-01"}).json()
    assert done["status"] == "completed"
    assert done["completed_on"] == "2030-04-01"
    assert done["maintenance_due_on"] is None  # the pain protocol has no maintenance interval
    assert [e["kind"] for e in done["history"]] == ["created", "activated", "completed"]
    again = api.post(f"plans/{pid}/stop", {"reason": "too late"})
    assert again.status_code == 409
    assert again["Content-Type"] == PROBLEM
    assert again.json()["code"] == "invalid_transition"
    assert AuditEvent.objects.filter(object_id=str(pid), action="update").count() == 2


def test_completion_proposes_the_maintenance_date(api: Any, clinic: Any) -> None:
    baseline = assess(api, clinic.patient.pk, "hexsel-css", HEXSEL_MODERATE)
    plan = make_plan(api, clinic.patient.pk, CELLULITE, baseline).json()
    api.post(f"plans/{plan['id']}/activate", {})
    done = api.post(f"plans/{plan['id']}/complete", {"on": "2030-06-01"}).json()
    assert done["maintenance_due_on"] == "2030-07-31"


def test_stopping_needs_a_reason(api: Any, pain_plan: dict[str, Any]) -> None:
    response = api.post(f"plans/{pain_plan['id']}/stop", {})
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    stopped = api.post(f"plans/{pain_plan['id']}/stop", {"reason": "moved away"}).json()
    assert stopped["status"] == "stopped"


def test_a_proposed_plan_cannot_be_completed_or_reviewed(
    api: Any, pain_plan: dict[str, Any]
) -> None:
    assert api.post(f"plans/{pain_plan['id']}/complete", {}).status_code == 409
    review = api.post(f"plans/{pain_plan['id']}/review", {"items": {"score": 2}})
    assert review.status_code == 409


def test_review_too_early_then_responding_then_complete(
    api: Any, pain_plan: dict[str, Any]
) -> None:
    pid = pain_plan["id"]
    api.post(f"plans/{pid}/activate", {})
    early = api.post(f"plans/{pid}/review", {"scale": "vas-pain", "items": {"score": 7}})
    assert early.status_code == 200, early.content
    body = early.json()
    assert (body["outcome"], body["sessions_done"], body["proposal"]) == (
        "too_early",
        1,
        "continue",
    )
    responding = api.post(f"plans/{pid}/review", {"items": {"score": 5}, "sessions_done": 3}).json()
    assert responding["outcome"] == "responding"
    assert responding["improvement"] == 3
    complete = api.post(f"plans/{pid}/review", {"items": {"score": 2}, "sessions_done": 4}).json()
    assert complete["outcome"] == "complete"
    assert complete["proposal"] == "complete"
    assert complete["current_band"] == "mild"
    plan = api.get(f"plans/{pid}").json()
    assert plan["sessions_done"] == 4 and plan["sessions_remaining"] == 1
    assert plan["review"]["outcome"] == "complete"
    assert plan["status"] == "active"


def test_no_improvement_after_the_check_session_needs_review(
    api: Any, clinic: Any, pain_plan: dict[str, Any]
) -> None:
    pid = pain_plan["id"]
    api.post(f"plans/{pid}/activate", {})
    current = assess(api, clinic.patient.pk, "vas-pain", {"score": 9})
    body = api.post(f"plans/{pid}/review", {"assessment": current, "sessions_done": 3}).json()
    assert body["outcome"] == "review_needed"
    assert body["proposal"] == "stop_or_switch"
    assert "stopping" in body["reason"] and "switching" in body["reason"]
    assert body["status"] == "review_needed"
    assert body["assessment"]["plan"] == pid
    resumed = api.post(f"plans/{pid}/activate", {})
    assert resumed.status_code == 422  # going on after a review needs a reason
    assert api.post(f"plans/{pid}/activate", {"reason": "one more try"}).json()["status"] == (
        "active"
    )


def test_a_completed_review_proposes_the_maintenance_date(api: Any, clinic: Any) -> None:
    baseline = assess(api, clinic.patient.pk, "hexsel-css", HEXSEL_MODERATE)
    plan = make_plan(api, clinic.patient.pk, CELLULITE, baseline).json()
    api.post(f"plans/{plan['id']}/activate", {})
    mild = dict.fromkeys(HEXSEL_MODERATE, 1)  # total 5: mild, the target band
    body = api.post(f"plans/{plan['id']}/review", {"items": mild, "sessions_done": 4}).json()
    assert body["outcome"] == "complete"
    today = dt.date.fromisoformat(body["assessment"]["assessed_at"][:10])
    assert body["proposed_maintenance_on"] is not None
    assert abs((dt.date.fromisoformat(body["proposed_maintenance_on"]) - today).days - 60) <= 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "items"),
        ({"scale": "hexsel-css", "items": HEXSEL_MODERATE}, "scale"),
        ({"items": {"score": 11}}, "score"),
        ({"items": {"score": 2}, "sessions_done": -1}, "sessions_done"),
        ({"assessment": 999999}, "assessment"),
    ],
)
def test_invalid_reviews_are_422_naming_the_field(
    api: Any, pain_plan: dict[str, Any], body: dict[str, Any], field: str
) -> None:
    api.post(f"plans/{pain_plan['id']}/activate", {})
    response = api.post(f"plans/{pain_plan['id']}/review", body)
    assert response.status_code in (404, 422), response.content
    assert response["Content-Type"] == PROBLEM
    if response.status_code == 422:
        assert field in {e["field"] for e in response.json()["errors"]}


def test_reviewing_with_the_baseline_itself_is_refused(api: Any, pain_plan: dict[str, Any]) -> None:
    api.post(f"plans/{pain_plan['id']}/activate", {})
    baseline = pain_plan["baseline_assessment"]["id"]
    response = api.post(f"plans/{pain_plan['id']}/review", {"assessment": baseline})
    assert response.status_code == 422


def test_a_plan_without_scale_cannot_be_reviewed_against_a_baseline(api: Any, clinic: Any) -> None:
    plan = make_plan(api, clinic.patient.pk, "striae_ha_silicon_linear", None).json()
    api.post(f"plans/{plan['id']}/activate", {})
    response = api.post(f"plans/{plan['id']}/review", {"scale": "vas-pain", "items": {"score": 1}})
    assert response.status_code == 422
    assert response.json()["code"] == "not_reviewable"


def test_reception_and_auditor_may_not_change_plans(clinic: Any, pain_plan: dict[str, Any]) -> None:
    assert clinic.api("reception").get(f"plans/{pain_plan['id']}").status_code == 403
    auditor = clinic.api("auditor")
    assert auditor.get(f"plans/{pain_plan['id']}").status_code == 200
    assert auditor.post(f"plans/{pain_plan['id']}/activate", {}).status_code == 403


def test_plan_reads_are_audited(api: Any, pain_plan: dict[str, Any]) -> None:
    api.get(f"plans/{pain_plan['id']}")
    assert AuditEvent.objects.filter(object_id=str(pain_plan["id"]), action="read").exists()


def test_plan_list_is_bounded_in_queries(
    api: Any, clinic: Any, django_assert_max_num_queries: Any
) -> None:
    for score in (5, 6, 7, 8):
        baseline = assess(api, clinic.patient.pk, "vas-pain", {"score": score})
        assert make_plan(api, clinic.patient.pk, PAIN, baseline).status_code == 201
    with django_assert_max_num_queries(12):
        assert len(api.get(f"patients/{clinic.patient.pk}/plans").json()) == 4


def test_plan_creation_runs_the_safety_check_and_a_block_stores_nothing(
    api: Any, clinic: Any
) -> None:
    clinic.patient.pregnancy_status = "pregnant"
    clinic.patient.pregnancy_status_on = dt.date.today()
    clinic.patient.save()
    baseline = assess(api, clinic.patient.pk, "vas-pain", {"score": 8})
    response = make_plan(api, clinic.patient.pk, PAIN, baseline)
    assert response.status_code == 409
    assert response["Content-Type"] == PROBLEM
    body = response.json()
    assert body["code"] == "safety_block"
    assert "pregnancy" in {f["code"] for f in body["findings"]}
    assert not TreatmentPlan.objects.exists()
    overridden = make_plan(
        api, clinic.patient.pk, PAIN, baseline, override_reason="documented by obstetrician"
    )
    assert overridden.status_code == 201, overridden.content  # pregnancy is overridable
