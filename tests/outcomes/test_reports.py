"""The outcomes report against a fixture computed by hand."""

from __future__ import annotations

import datetime as dt
import math

import pytest
from django.utils import timezone

from mesocare.charting.models import SideEffect
from mesocare.outcomes.reports import business_report, outcomes_report

pytestmark = pytest.mark.django_db
T975_DF2 = 4.302652729749464  # qt(0.975, 2)


def course(make, patient, *, baseline, check, final, status, signed, effects=()):
    plan = make.plan(patient, baseline=baseline, status=status, sessions=6)
    now = timezone.now()
    if check is not None:
        make.assessment(patient, check, at=now - dt.timedelta(days=30), plan=plan, session_index=4)
    if final is not None:
        make.assessment(patient, final, at=now - dt.timedelta(days=5), plan=plan)
    sessions = [
        make.session(plan=plan, index=i, signed_at=now - dt.timedelta(days=60 - i * 7))
        for i in range(1, signed + 1)
    ]
    for kind, grade in effects:
        SideEffect.objects.create(
            organization=plan.organization,
            session=sessions[0],
            kind=kind,
            grade=grade,
            onset=now,
            source="staff",
        )
    return plan


@pytest.fixture
def cohort(clinic, make):
    """Hexsel CSS, response check at session 4, responder = ≥ 1 point better.

    | plan | status    | baseline | session 4 | final | change | responder | signed |
    |------|-----------|----------|-----------|-------|--------|-----------|--------|
    | 1    | completed | 12       | 10        | 8     | -4     | yes       | 6      |
    | 2    | completed | 10       | 10        | 9     | -1     | no        | 5      |
    | 3    | stopped   | 14       | 14        | —     | 0      | no        | 4      |
    | 4    | active    | 9        | —         | —     | —      | —         | 2      |
    | 5    | proposed  | (not started: excluded)                                    |
    """
    p = [make.patient(given_name=f"P{i}") for i in range(5)]
    course(make, p[0], baseline=12, check=10, final=8, status="completed", signed=6,
           effects=[("bruising", 1), ("bruising", 1)])  # fmt: skip
    course(make, p[1], baseline=10, check=10, final=9, status="completed", signed=5,
           effects=[("pain", 2)])  # fmt: skip
    course(make, p[2], baseline=14, check=14, final=None, status="stopped", signed=4)
    course(make, p[3], baseline=9, check=None, final=None, status="active", signed=2)
    make.plan(p[4], baseline=20, status="proposed")
    return make


def test_outcomes_report_matches_the_hand_computed_fixture(clinic, cohort):
    (row,) = outcomes_report(clinic.actor("practitioner"))
    assert row.scale == "hexsel-css"
    assert (row.started, row.completed, row.stopped, row.active) == (4, 2, 1, 1)
    assert row.mean_baseline == pytest.approx((12 + 10 + 14 + 9) / 4)
    assert row.mean_final == pytest.approx((8 + 9 + 14) / 3)
    assert row.with_change == 3
    assert row.mean_change == pytest.approx(-5 / 3)
    half = T975_DF2 * math.sqrt(13 / 3) / math.sqrt(3)  # sd² = (49/9 + 4/9 + 25/9) / 2
    assert row.change_ci_low == pytest.approx(-5 / 3 - half, rel=1e-9)
    assert row.change_ci_high == pytest.approx(-5 / 3 + half, rel=1e-9)
    assert (row.responders, row.response_evaluable) == (1, 3)
    assert row.responder_rate == pytest.approx(1 / 3)
    assert row.median_sessions == 5
    assert row.sessions == 17
    assert row.side_effects == [
        {"kind": "bruising", "grade": 1, "events": 2, "per_100_sessions": 11.8},
        {"kind": "pain", "grade": 2, "events": 1, "per_100_sessions": 5.9},
    ]


def test_the_report_api_filters_by_protocol_and_dates(clinic, cohort, other_clinic):
    api = clinic.api("practitioner")
    body = api.get("reports/outcomes").json()
    assert body["protocols"][0]["started"] == 4
    protocol_id = body["protocols"][0]["protocol_id"]
    assert api.get("reports/outcomes", protocol=protocol_id).json()["protocols"][0]["started"] == 4
    assert api.get("reports/outcomes", protocol=protocol_id + 999).json()["protocols"] == []
    future = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    assert api.get("reports/outcomes", **{"from": future}).json()["protocols"] == []
    assert other_clinic.api("admin").get("reports/outcomes").json()["protocols"] == []
    assert clinic.api("reception").get("reports/outcomes").status_code == 403
    bad = api.get("reports/outcomes", **{"from": "yesterday"})
    assert bad.status_code == 422 and bad["Content-Type"] == "application/problem+json"


def test_report_query_count_does_not_grow_with_plans(clinic, cohort, django_assert_max_num_queries):
    with django_assert_max_num_queries(10):
        clinic.api("practitioner").get("reports/outcomes")


def test_business_report(clinic, cohort):
    plan = cohort.plan(cohort.patient(given_name="Lapsed"), status="completed")
    plan.completed_on = timezone.localdate() - dt.timedelta(days=100)
    plan.maintenance_due_on = timezone.localdate() - dt.timedelta(days=40)
    plan.save()
    report = business_report(
        clinic.actor("admin"),
        date_from=timezone.localdate() - dt.timedelta(days=90),
        date_to=timezone.localdate(),
    )
    assert report["sessions_per_practitioner"][0]["sessions"] == 17
    assert [r["patient"] for r in report["lapsed"]] == ["Lapsed Bianchi"]
    assert report["lapsed"][0]["days_overdue"] == 40
    assert report["completion"] == {"completed": 3, "stopped": 1, "rate": 0.75}
