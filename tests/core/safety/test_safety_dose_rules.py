from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from mesocare.core.safety import PreviousSession, evaluate

Make = Any  # the conftest ``Make`` builder


def lidocaine_check(make: Make, weight: str, *items: Any, moment: str = "check_in") -> Any:
    patient = make.patient(weight_kg=Decimal(weight))
    return make.check(patient, make.treatment(*items), moment=moment)


def only(make: Make, check: Any, code: str) -> list[Any]:
    return [f for f in evaluate(check).findings if f.code == code]


@pytest.mark.parametrize(("weight", "blocked"), [("49.9", True), ("50", False), ("50.1", False)])
def test_lidocaine_225_mg_around_50_kg(make: Make, weight: str, blocked: bool) -> None:
    check = lidocaine_check(make, weight, make.item(make.lido2, "11.25"))  # 225 mg
    assert bool(only(make, check, "lidocaine_dose")) is blocked


def test_lidocaine_message_states_the_arithmetic(make: Make) -> None:
    check = lidocaine_check(make, "50", make.item(make.lido2, "12.5"))  # 250 mg
    [finding] = only(make, check, "lidocaine_dose")
    assert finding.message == "lidocaine 250 mg exceeds 225 mg (4.5 mg/kg × 50 kg)"
    assert (finding.severity, finding.overridable) == ("block", False)
    assert "lidocaine" in finding.source.lower()


def test_capped_lidocaine_message_shows_the_cap(make: Make) -> None:
    check = lidocaine_check(make, "80", make.item(make.lido2, "15.5"))  # 310 mg
    [finding] = only(make, check, "lidocaine_dose")
    assert finding.message == (
        "lidocaine 310 mg exceeds 300 mg (4.5 mg/kg × 80 kg = 360 mg, capped at 300 mg)"
    )


@pytest.mark.parametrize(("volume", "blocked"), [("14.95", False), ("15", False), ("15.05", True)])
def test_lidocaine_299_300_301_mg_at_the_cap(make: Make, volume: str, blocked: bool) -> None:
    check = lidocaine_check(make, "80", make.item(make.lido2, volume))
    assert bool(only(make, check, "lidocaine_dose")) is blocked


def test_worked_example_60_kg_takes_13_5_ml_of_2_percent_but_not_more(make: Make) -> None:
    assert not only(
        make, lidocaine_check(make, "60", make.item(make.lido2, "13.5")), "lidocaine_dose"
    )
    assert only(make, lidocaine_check(make, "60", make.item(make.lido2, "13.51")), "lidocaine_dose")


def test_lidocaine_is_summed_across_items_and_areas(make: Make) -> None:
    check = lidocaine_check(
        make,
        "60",
        make.item(make.lido2, "7", body_area="abdomen"),
        make.item(make.lido2, "7", body_area="thigh"),
    )  # 280 mg > 270
    [finding] = only(make, check, "lidocaine_dose")
    assert finding.context["total_mg"] == Decimal("280.00")


@pytest.mark.parametrize(("volume", "blocked"), [("42", False), ("42.1", True)])
def test_epinephrine_lidocaine_allows_7_mg_per_kg(make: Make, volume: str, blocked: bool) -> None:
    check = lidocaine_check(make, "60", make.item(make.lido1_epi, volume))  # 420 mg limit
    assert bool(only(make, check, "lidocaine_dose")) is blocked


@pytest.mark.parametrize(("volume", "blocked"), [("50", False), ("50.1", True)])
def test_epinephrine_lidocaine_is_capped_at_500_mg(make: Make, volume: str, blocked: bool) -> None:
    check = lidocaine_check(make, "90", make.item(make.lido1_epi, volume))
    assert bool(only(make, check, "lidocaine_dose")) is blocked


def test_mixed_plain_and_epinephrine_lidocaine_uses_the_plain_limit(make: Make) -> None:
    check = lidocaine_check(
        make, "60", make.item(make.lido1_epi, "20"), make.item(make.lido1, "8")
    )  # 280 mg: fine with epi, not plain
    [finding] = only(make, check, "lidocaine_dose")
    assert finding.message.startswith("lidocaine 280 mg exceeds 270 mg (4.5 mg/kg × 60 kg)")
    assert "plain limit applies (conservative)" in finding.message


def test_without_weight_the_absolute_cap_still_applies(make: Make) -> None:
    patient = make.patient(weight_kg=None, weight_on=None)
    check = make.check(patient, make.treatment(make.item(make.lido2, "15.05")))
    assert evaluate(check).codes == ("lidocaine_dose", "weight_missing")


def test_unknown_lidocaine_concentration_blocks(make: Make) -> None:
    product = make.lido2.__class__(
        "lido-x",
        "Lidocaine (unlabelled)",
        (make.lido2.ingredients[0].__class__("lidocaine", "lidocaine"),),
    )
    check = lidocaine_check(make, "70", make.item(product, "1"))
    [finding] = only(make, check, "lidocaine_dose")
    assert "cannot be checked" in finding.message


@pytest.mark.parametrize(("days_old", "missing"), [(90, False), (91, True)])
def test_weight_must_be_at_most_90_days_old(make: Make, days_old: int, missing: bool) -> None:
    patient = make.patient(weight_on=make.today - timedelta(days=days_old))
    check = make.check(patient, make.treatment(make.item(make.lido2, "1")))
    assert bool(only(make, check, "weight_missing")) is missing


@pytest.mark.parametrize(
    ("moment", "severity"), [("booking", "warn"), ("check_in", "warn"), ("charting", "block")]
)
def test_weight_missing_blocks_only_at_charting(make: Make, moment: str, severity: str) -> None:
    patient = make.patient(weight_kg=None, weight_on=None)
    check = make.check(patient, make.treatment(make.item(make.lido2, "1")), moment=moment)
    [finding] = only(make, check, "weight_missing")
    assert finding.severity == severity


def test_weight_is_not_needed_without_lidocaine(make: Make) -> None:
    patient = make.patient(weight_kg=None, weight_on=None)
    assert evaluate(make.check(patient)).codes == ()


@pytest.mark.parametrize(("volume", "blocked"), [("10.0", False), ("10.1", True)])
def test_deoxycholic_acid_session_maximum_is_10_ml(make: Make, volume: str, blocked: bool) -> None:
    check = make.check(treatment=make.treatment(make.item(make.kybella, volume)))
    findings = only(make, check, "deoxycholic_session_dose")
    assert bool(findings) is blocked
    if blocked:
        assert findings[0].message.startswith("deoxycholic acid 101 mg exceeds 100 mg")
        assert not findings[0].overridable


@pytest.mark.parametrize(("points", "blocked"), [(50, False), (49, True)])
def test_deoxycholic_acid_at_most_0_2_ml_per_point(make: Make, points: int, blocked: bool) -> None:
    check = make.check(treatment=make.treatment(make.item(make.kybella, "10", points=points)))
    assert bool(only(make, check, "deoxycholic_session_dose")) is blocked


@pytest.mark.parametrize(("previous", "warned"), [(5, False), (6, True)])
def test_deoxycholic_acid_course_of_six_sessions_per_area(
    make: Make, previous: int, warned: bool
) -> None:
    sessions = tuple(
        make.session(date(2024, m, 1), make.belkyra, areas=("submental",))
        for m in range(1, previous + 1)
    )
    plan = make.treatment(make.item(make.kybella, "4", body_area="submental"))
    findings = only(make, make.check(treatment=plan, previous=sessions), "deoxycholic_course_limit")
    assert bool(findings) is warned


def test_deoxycholic_course_recognises_sessions_by_product_id_alone(make: Make) -> None:
    sessions = tuple(
        PreviousSession(date(2024, m, 1), None, frozenset({"kybella"}), frozenset({"submental"}))
        for m in range(1, 7)
    )
    plan = make.treatment(make.item(make.kybella, "4", body_area="submental"))
    [finding] = only(
        make, make.check(treatment=plan, previous=sessions), "deoxycholic_course_limit"
    )
    assert finding.message == (
        "this would be deoxycholic acid session 7 for submental "
        "(6 previous + this one; label maximum 6)"
    )
    assert finding.severity == "warn"


def test_deoxycholic_course_counts_only_the_same_area(make: Make) -> None:
    sessions = tuple(
        make.session(date(2024, m, 1), make.kybella, areas=("jowl",)) for m in range(1, 8)
    )
    plan = make.treatment(make.item(make.kybella, "4", body_area="submental"))
    assert not only(make, make.check(treatment=plan, previous=sessions), "deoxycholic_course_limit")


@pytest.mark.parametrize(("on", "blocked"), [(date(2025, 2, 15), False), (date(2025, 2, 14), True)])
def test_deoxycholic_acid_interval_is_one_calendar_month(
    make: Make, on: date, blocked: bool
) -> None:
    previous = (make.session(date(2025, 1, 15), make.kybella),)
    check = make.check(
        treatment=make.treatment(make.item(make.kybella, "4")),
        previous=previous,
        on=on,
        patient=make.patient(pregnancy_status_on=on, weight_on=on),
    )
    assert bool(only(make, check, "interval_too_short")) is blocked


def test_month_interval_clamps_to_month_end(make: Make) -> None:
    previous = (make.session(date(2025, 1, 31), ingredients=("deoxycholic_acid",)),)
    on = date(2025, 2, 27)
    check = make.check(
        treatment=make.treatment(make.item(make.belkyra, "4")),
        previous=previous,
        on=on,
        patient=make.patient(pregnancy_status_on=on, weight_on=on),
    )
    [finding] = only(make, check, "interval_too_short")
    assert "not before 2025-02-28" in finding.message


@pytest.mark.parametrize(("days", "blocked"), [(7, False), (6, True)])
def test_product_interval_in_days(make: Make, days: int, blocked: bool) -> None:
    previous = (make.session(make.today - timedelta(days=days), make.caffeine),)
    check = make.check(treatment=make.treatment(make.item(make.caffeine)), previous=previous)
    assert bool(only(make, check, "interval_too_short")) is blocked


@pytest.mark.parametrize(("days", "blocked"), [(14, False), (13, True)])
def test_protocol_interval_in_days(make: Make, days: int, blocked: bool) -> None:
    previous = (
        make.session(make.today - timedelta(days=days), protocol_id="p1"),
        make.session(make.today - timedelta(days=2), protocol_id="p2"),
    )
    plan = make.treatment(protocol_id="p1", protocol_min_interval_days=14)
    assert (
        bool(only(make, make.check(treatment=plan, previous=previous), "interval_too_short"))
        is blocked
    )
