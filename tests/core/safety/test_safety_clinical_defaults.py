"""Worked examples for the deoxycholate, teratogen, thrombosis and excipient rules.

Sources: KYBELLA and AVODART and LYSTEDA US prescribing information; Lipostabil N practice
(2,500 mg phosphatidylcholine per session); Thomas et al., Plast Reconstr Surg Glob Open
2016;4:e861 (0.3 mL per point, 4 weeks apart). See docs/clinical-sources.md, "Dose rules"
and "Safety rules".
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from mesocare.core.safety import IngredientDose, ProductFacts, evaluate
from mesocare.core.safety.facts import add_months
from mesocare.core.safety.rules_dose import earliest_after

Make = Any  # the conftest ``Make`` builder

TODAY = date(2025, 6, 15)
PC_DC = ProductFacts(
    "pcdc",
    "Phosphatidylcholine 50 mg/mL + deoxycholate 25.3 mg/mL",
    (
        IngredientDose(
            "phosphatidylcholine", "phosphatidylcholine", frozenset({"soy"}), Decimal(50)
        ),
        IngredientDose("deoxycholic_acid", "sodium deoxycholate", frozenset(), Decimal("25.3")),
        IngredientDose(
            "benzyl_alcohol", "benzyl alcohol", frozenset({"benzyl_alcohol"}), Decimal(9)
        ),
    ),
    is_lipolytic=True,
    min_interval_days=28,
)
COMPOUNDED = ProductFacts(
    "pcdc-compounded",
    "Phosphatidylcholine 50 mg/mL + deoxycholate 42 mg/mL (compounded)",
    (
        IngredientDose("phosphatidylcholine", "phosphatidylcholine", frozenset(), Decimal(50)),
        IngredientDose("deoxycholic_acid", "sodium deoxycholate", frozenset(), Decimal(42)),
    ),
    is_lipolytic=True,
    compounded=True,
    max_ml_per_session=Decimal(30),
)
KYBELLA = ProductFacts(
    "kyb",
    "Deoxycholic acid 10 mg/mL",
    (
        IngredientDose("deoxycholic_acid", "deoxycholic acid", frozenset(), Decimal(10)),
        IngredientDose(
            "benzyl_alcohol", "benzyl alcohol", frozenset({"benzyl_alcohol"}), Decimal(9)
        ),
    ),
    is_lipolytic=True,
)
DCA_20 = ProductFacts(
    "dca20",
    "Deoxycholic acid 20 mg/mL",
    (IngredientDose("deoxycholic_acid", "deoxycholic acid", frozenset(), Decimal(20)),),
    is_lipolytic=True,
)
DUTASTERIDE = ProductFacts(
    "duta",
    "Dutasteride 0.05%",
    (
        IngredientDose(
            "dutasteride",
            "dutasteride",
            frozenset({"five_alpha_reductase_inhibitor"}),
            Decimal("0.5"),
        ),
    ),
)
TXA = ProductFacts(
    "txa",
    "Tranexamic acid 4 mg/mL",
    (IngredientDose("tranexamic_acid", "tranexamic acid", frozenset(), Decimal(4)),),
)
ORGANIC_SILICON = ProductFacts(
    "si",
    "Organic silicon 0.5%",
    (IngredientDose("organic_silicon", "organic silicon", frozenset({"salicylate"})),),
)
LIDO_EPI = ProductFacts(
    "lido-epi",
    "Lidocaine 1% with epinephrine",
    (
        IngredientDose("lidocaine", "lidocaine", frozenset(), Decimal(10)),
        IngredientDose("sodium_metabisulfite", "sodium metabisulfite", frozenset({"sulfite"})),
    ),
    contains_epinephrine=True,
)
ARTICHOKE = ProductFacts(
    "art",
    "Artichoke extract",
    (IngredientDose("artichoke_extract", "artichoke extract", frozenset({"asteraceae"})),),
)


def codes(report: Any) -> dict[str, str]:
    return {f.code: f.severity for f in report.findings}


def run(make: Make, *items: Any, patient: Any = None, **treatment: Any) -> Any:
    return evaluate(make.check(patient, make.treatment(*items, **treatment)))


# --- PC/DC ---------------------------------------------------------------------------------


def test_ten_ml_of_pc_dc_at_0_25_ml_per_point_has_no_block(make: Make) -> None:
    report = run(make, make.item(PC_DC, "10", points=40))
    assert not report.blocks, report.findings


def test_sixty_ml_of_pc_dc_is_an_overridable_phosphatidylcholine_block(make: Make) -> None:
    report = run(make, make.item(PC_DC, "60", points=240))
    [finding] = [f for f in report.findings if f.code == "phosphatidylcholine_session_dose"]
    assert finding.severity == "block" and finding.overridable
    assert "3000 mg exceeds 2500 mg" in finding.message
    assert "deoxycholic_session_dose" not in report.codes
    assert report.overridable


def test_fifty_ml_of_pc_dc_is_the_cap_itself(make: Make) -> None:
    assert "phosphatidylcholine_session_dose" not in run(make, make.item(PC_DC, "50")).codes
    assert "phosphatidylcholine_session_dose" in run(make, make.item(PC_DC, "50.02")).codes


def test_pc_dc_more_than_0_3_ml_per_point_blocks(make: Make) -> None:
    assert (
        "phosphatidylcholine_session_dose" not in run(make, make.item(PC_DC, "3", points=10)).codes
    )
    report = run(make, make.item(PC_DC, "3.1", points=10))
    [finding] = report.blocks
    assert finding.code == "phosphatidylcholine_session_dose" and "0.31 mL" in finding.message


def test_compounded_pc_dc_has_its_own_session_cap(make: Make) -> None:
    assert not run(make, make.item(COMPOUNDED, "30")).blocks
    [finding] = run(make, make.item(COMPOUNDED, "31")).blocks
    assert finding.code == "phosphatidylcholine_session_dose"
    assert "compounded product's session cap of 30 mL" in finding.message


def test_pc_dc_sessions_are_28_days_apart(make: Make) -> None:
    last = make.session(TODAY - timedelta(days=27), PC_DC, ingredients=("phosphatidylcholine",))
    check = make.check(treatment=make.treatment(make.item(PC_DC, "10")), previous=(last,))
    assert "interval_too_short" in evaluate(check).codes
    ok = make.session(TODAY - timedelta(days=28), PC_DC, ingredients=("phosphatidylcholine",))
    check = make.check(treatment=make.treatment(make.item(PC_DC, "10")), previous=(ok,))
    assert "interval_too_short" not in evaluate(check).codes


def test_pc_dc_sessions_do_not_count_towards_the_deoxycholic_acid_course(make: Make) -> None:
    previous = tuple(make.session(TODAY - timedelta(days=40 * k), PC_DC) for k in range(1, 8))
    check = make.check(treatment=make.treatment(make.item(KYBELLA, "2")), previous=previous)
    assert "deoxycholic_course_limit" not in evaluate(check).codes


# --- single-agent deoxycholic acid -----------------------------------------------------------


def test_deoxycholic_acid_per_point_limit_is_2_mg_at_any_concentration(make: Make) -> None:
    """0.15 mL of 20 mg/mL is 3 mg per point: more than the label's 2 mg (0.2 mL × 10 mg/mL)."""
    [finding] = run(make, make.item(DCA_20, "1.5", points=10)).blocks
    assert finding.code == "deoxycholic_session_dose"
    assert "3 mg per injection point exceeds 2 mg" in finding.message
    assert not run(make, make.item(DCA_20, "1", points=10)).blocks
    assert not run(make, make.item(KYBELLA, "2", points=10)).blocks


def test_label_interval_is_one_calendar_month_on_31_january(make: Make) -> None:
    last = make.session(date(2025, 1, 31), KYBELLA)
    treatment = make.treatment(make.item(KYBELLA, "2"))
    assert (
        "interval_too_short"
        in evaluate(make.check(treatment=treatment, previous=(last,), on=date(2025, 2, 27))).codes
    )
    assert (
        "interval_too_short"
        not in evaluate(
            make.check(treatment=treatment, previous=(last,), on=date(2025, 2, 28))
        ).codes
    )


def test_protocol_interval_in_calendar_months(make: Make) -> None:
    """A protocol of "one calendar month": 31 January 2024 → 29 February 2024 (leap year)."""
    last = make.session(date(2024, 1, 31), protocol_id="p1")
    treatment = make.treatment(
        protocol_id="p1", protocol_min_interval_days=28, protocol_min_interval_months=1
    )
    before = make.check(treatment=treatment, previous=(last,), on=date(2024, 2, 28))
    [finding] = [f for f in evaluate(before).findings if f.code == "interval_too_short"]
    assert "not before 2024-02-29" in finding.message
    on_time = make.check(treatment=treatment, previous=(last,), on=date(2024, 2, 29))
    assert "interval_too_short" not in evaluate(on_time).codes


def test_submental_grade_1_or_4_is_outside_the_label_population(make: Make) -> None:
    for grade, flagged in ((0, True), (1, True), (2, False), (3, False), (4, True)):
        report = run(
            make,
            make.item(KYBELLA, "2"),
            severity_scale="cr-smfrs",
            severity_total=Decimal(grade),
        )
        assert ("outside_label_population" in report.codes) is flagged, grade
    [finding] = [
        f
        for f in run(
            make, make.item(KYBELLA, "2"), severity_scale="cr-smfrs", severity_total=Decimal(4)
        ).findings
        if f.code == "outside_label_population"
    ]
    assert finding.severity == "warn" and finding.overridable


def test_pc_dc_is_not_judged_by_the_deoxycholic_acid_label_population(make: Make) -> None:
    report = run(make, make.item(PC_DC, "2"), severity_scale="cr-smfrs", severity_total=Decimal(1))
    assert "outside_label_population" not in report.codes


# --- teratogens -------------------------------------------------------------------------------


def adult(make: Make, age: int, sex: str = "female", **changes: Any) -> Any:
    birth = date(TODAY.year - age, 1, 1)
    return make.patient(birth_date=birth, sex_at_birth=sex, **changes)


def test_dutasteride_for_a_35_year_old_woman_without_contraception_blocks(make: Make) -> None:
    report = run(make, make.item(DUTASTERIDE, "2"), patient=adult(make, 35))
    [finding] = report.blocks
    assert finding.code == "teratogen_contraception"
    assert finding.overridable


def test_dutasteride_no_teratogen_finding_when_not_at_risk(make: Make) -> None:
    contracepting = adult(
        make, 35, reliable_contraception=True, reliable_contraception_on=TODAY - timedelta(days=90)
    )
    for patient in (
        adult(make, 62),
        adult(make, 35, sex="male"),
        contracepting,
        adult(make, 35, childbearing_potential="no", childbearing_potential_reason="hysterectomy"),
    ):
        assert (
            "teratogen_contraception"
            not in run(make, make.item(DUTASTERIDE), patient=patient).codes
        )


def test_contraception_recorded_91_days_ago_is_stale(make: Make) -> None:
    patient = adult(
        make, 35, reliable_contraception=True, reliable_contraception_on=TODAY - timedelta(days=91)
    )
    assert "teratogen_contraception" in run(make, make.item(DUTASTERIDE), patient=patient).codes


def test_intersex_patients_are_screened_too(make: Make) -> None:
    report = run(make, make.item(DUTASTERIDE), patient=adult(make, 30, sex="intersex"))
    assert "teratogen_contraception" in report.codes


def test_pregnancy_with_a_teratogen_cannot_be_overridden(make: Make) -> None:
    pregnant = adult(make, 30, pregnancy_status="pregnant")
    report = run(make, make.item(DUTASTERIDE), patient=pregnant)
    [finding] = report.blocks
    assert finding.code == "pregnancy" and not finding.overridable
    assert not report.overridable
    breastfeeding = adult(make, 30, breastfeeding=True)
    [finding] = [
        f
        for f in run(make, make.item(DUTASTERIDE), patient=breastfeeding).blocks
        if f.code == "breastfeeding"
    ]
    assert not finding.overridable
    # Without a teratogen, pregnancy stays a block a practitioner may override.
    [plain] = run(make, make.item(), patient=pregnant).blocks
    assert plain.code == "pregnancy" and plain.overridable


@given(
    age=st.integers(min_value=0, max_value=90),
    sex=st.sampled_from(["female", "male", "intersex", "unknown"]),
    potential=st.sampled_from([None, "yes", "no", "unknown"]),
    contraception=st.sampled_from([None, True, False]),
    recorded_days_ago=st.integers(min_value=-5, max_value=200),
)
def test_teratogen_rule_boundaries(
    make: Make,
    age: int,
    sex: str,
    potential: str | None,
    contraception: bool | None,
    recorded_days_ago: int,
) -> None:
    birth = date(TODAY.year - age, TODAY.month, TODAY.day)
    patient = make.patient(
        birth_date=birth,
        sex_at_birth=sex,
        childbearing_potential=potential,
        reliable_contraception=contraception,
        reliable_contraception_on=TODAY - timedelta(days=recorded_days_ago),
    )
    fired = "teratogen_contraception" in run(make, make.item(DUTASTERIDE), patient=patient).codes
    covered = bool(contraception) and 0 <= recorded_days_ago <= 90
    expected = (
        sex in {"female", "intersex"} and 12 <= age <= 55 and potential != "no" and not covered
    )
    assert fired is expected


# --- tranexamic acid --------------------------------------------------------------------------


def test_tranexamic_acid_with_thromboembolic_history_warns(make: Make) -> None:
    patient = make.patient(conditions=(make.condition("thromboembolic_history"),))
    report = run(make, make.item(TXA, "1"), patient=patient)
    [finding] = [f for f in report.findings if f.code == "thromboembolic_history"]
    assert finding.severity == "warn" and "Tranexamic acid" in finding.message


def test_tranexamic_acid_with_a_combined_hormonal_contraceptive_warns(make: Make) -> None:
    patient = make.patient(medication_classes=frozenset({"combined_hormonal_contraceptive"}))
    [finding] = [
        f
        for f in run(make, make.item(TXA, "1"), patient=patient).findings
        if f.code == "tranexamic_hormonal_contraceptive"
    ]
    assert finding.severity == "warn"
    assert "hormonal contraceptive" in finding.message
    withheld = finding.without_medications()
    assert "contraceptive" not in withheld.message and "a recorded medication" in withheld.message
    assert "medication_classes" not in withheld.context
    assert "tranexamic_hormonal_contraceptive" not in run(make, make.item(), patient=patient).codes


def test_anticoagulant_message_can_withhold_the_medication_class(make: Make) -> None:
    patient = make.patient(medication_classes=frozenset({"anticoagulant"}))
    [finding] = [
        f for f in run(make, make.item(), patient=patient).findings if f.code == "anticoagulant"
    ]
    assert "anticoagulant" in finding.message
    assert "anticoagulant" not in finding.without_medications().message


# --- excipients and allergen families ---------------------------------------------------------


def test_excipient_and_family_allergies_block_the_products_that_contain_them(make: Make) -> None:
    cases = (
        ("benzyl alcohol", "benzyl_alcohol", KYBELLA),
        ("benzyl alcohol", "benzyl_alcohol", PC_DC),
        ("aspirin", "salicylate", ORGANIC_SILICON),
        ("sulfite", "sulfite", LIDO_EPI),
        ("ragweed", "asteraceae", ARTICHOKE),
    )
    for label, family, product in cases:
        patient = make.patient(allergies=(make.allergy(label, family),))
        report = run(make, make.item(product, "1"), patient=patient)
        assert [f.code for f in report.blocks] == ["allergy_ingredient"], (label, product.name)


# --- calendar arithmetic ----------------------------------------------------------------------


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_one_calendar_month_is_28_to_31_days_and_keeps_the_day_when_it_can(start: date) -> None:
    later = add_months(start, 1)
    assert 28 <= (later - start).days <= 31
    assert later.month == start.month % 12 + 1
    assert later.day == start.day or (
        later.day < start.day and (later + timedelta(days=1)).day == 1
    )


@given(
    st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
    st.integers(min_value=0, max_value=120),
    st.integers(min_value=0, max_value=24),
)
def test_earliest_after_is_the_later_of_the_day_and_month_minimums(
    last: date, days: int, months: int
) -> None:
    earliest = earliest_after(last, days, months)
    assert earliest >= last + timedelta(days=days)
    assert earliest >= add_months(last, months)
    assert earliest in {last + timedelta(days=days), add_months(last, months)}
