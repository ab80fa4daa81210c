from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesocare.portal.grading import CheckInAnswers, alert_severity, grade_check_in, needs_alert


def graded(**answers):
    return {(f.kind, f.grade) for f in grade_check_in(CheckInAnswers(**answers))}


@pytest.mark.parametrize(
    ("answers", "expected", "alert"),
    [
        ({}, set(), False),
        ({"pain_vas": 3, "bruising": "mild"}, {("pain", 1), ("bruising", 1)}, False),
        ({"pain_vas": 5, "swelling": "moderate"}, {("pain", 2), ("swelling", 2)}, False),
        ({"pain_vas": 8}, {("pain", 3)}, True),
        ({"redness": "severe"}, {("erythema", 3)}, True),
        ({"nodules": True}, {("nodule", 2)}, False),
        ({"warmth": True}, {("infection_sign", 1)}, True),
        ({"warmth": True, "redness": "moderate"}, {("infection_sign", 2), ("erythema", 2)}, True),
        ({"discharge": True}, {("infection_sign", 2)}, True),
        ({"fever": True, "warmth": True}, {("infection_sign", 3)}, True),
        ({"skin_colour_change": True}, {("necrosis", 3)}, True),
    ],
)
def test_check_in_answers_are_graded_like_charting(answers, expected, alert):
    assert graded(**answers) == expected
    findings = grade_check_in(CheckInAnswers(**answers))
    assert needs_alert(findings) is alert


def test_necrosis_and_fever_are_critical_warmth_alone_a_warning():
    assert alert_severity(grade_check_in(CheckInAnswers(skin_colour_change=True))) == "critical"
    assert alert_severity(grade_check_in(CheckInAnswers(fever=True))) == "critical"
    assert alert_severity(grade_check_in(CheckInAnswers(warmth=True))) == "warning"


def test_out_of_range_answers_are_refused():
    with pytest.raises(ValueError):
        CheckInAnswers(pain_vas=11)
    with pytest.raises(ValueError):
        CheckInAnswers(bruising="huge")


levels = st.sampled_from(["none", "mild", "moderate", "severe"])


@given(
    pain=st.integers(0, 10),
    bruising=levels,
    swelling=levels,
    redness=levels,
    flags=st.lists(st.booleans(), min_size=5, max_size=5),
)
def test_grades_stay_in_one_to_three_and_any_grade_three_alerts(
    pain, bruising, swelling, redness, flags
):
    answers = CheckInAnswers(pain, bruising, swelling, redness, *flags)
    findings = grade_check_in(answers)
    assert all(1 <= f.grade <= 3 for f in findings)
    if any(f.grade == 3 for f in findings):
        assert needs_alert(findings)
