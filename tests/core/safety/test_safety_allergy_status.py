"""The allergy history: "not asked" warns before a first session, "none known" (NKA) does not."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mesocare.core.safety import evaluate

Make = Any  # the conftest ``Make`` builder

CODE = "allergies_not_recorded"


def test_not_asked_before_a_first_session_warns_and_names_the_gap(make: Make) -> None:
    report = evaluate(make.check(make.patient(allergy_status="unknown")))
    [finding] = report.findings
    assert finding.code == CODE
    assert finding.severity == "warn"
    assert finding.overridable
    assert "allergies not recorded" in finding.message
    assert "Vedamurthy" in finding.source


def test_no_known_allergies_recorded_gives_no_finding(make: Make) -> None:
    assert evaluate(make.check(make.patient(allergy_status="no_known_allergies"))).findings == ()


def test_a_listed_allergy_is_a_recorded_history_even_if_the_status_lags(make: Make) -> None:
    patient = make.patient(allergy_status="unknown", allergies=(make.allergy("nickel", "nickel"),))
    assert CODE not in evaluate(make.check(patient)).codes


def test_not_asked_after_a_session_already_given_does_not_warn_again(make: Make) -> None:
    past = (make.session(make.today - timedelta(days=20), make.ha),)
    patient = make.patient(allergy_status="unknown")
    assert CODE not in evaluate(make.check(patient, previous=past)).codes


def test_a_session_planned_after_the_treatment_date_is_not_a_past_session(make: Make) -> None:
    later = (make.session(make.today + timedelta(days=7), make.ha),)
    patient = make.patient(allergy_status="unknown")
    assert CODE in evaluate(make.check(patient, previous=later)).codes


@settings(max_examples=60, deadline=None)
@given(
    status=st.sampled_from(["unknown", "no_known_allergies", "has_allergies"]),
    n_allergies=st.integers(0, 2),
    past_days=st.lists(st.integers(-60, 60), max_size=3),
    moment=st.sampled_from(["booking", "check_in", "charting"]),
)
def test_warns_exactly_when_not_asked_nothing_listed_and_no_session_given(
    make: Make, status: str, n_allergies: int, past_days: list[int], moment: str
) -> None:
    allergies = tuple(make.allergy(f"substance {i}", f"code_{i}") for i in range(n_allergies))
    previous = tuple(make.session(make.today + timedelta(days=d), make.ha) for d in past_days)
    check = make.check(
        make.patient(allergy_status=status, allergies=allergies), previous=previous, moment=moment
    )
    expected = status == "unknown" and not allergies and all(d > 0 for d in past_days)
    findings = [f for f in evaluate(check).findings if f.code == CODE]
    assert bool(findings) == expected
    assert all(f.severity == "warn" for f in findings)
