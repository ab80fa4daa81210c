from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from mesocare.core.safety import evaluate

Make = Any  # the conftest ``Make`` builder


def codes(make: Make, **kwargs: Any) -> tuple[str, ...]:
    return evaluate(make.check(**kwargs)).codes


def test_risk_free_patient_and_plan_get_no_findings(make: Make) -> None:
    assert evaluate(make.check()).findings == ()


@pytest.mark.parametrize(
    ("terms", "product"),
    [
        (("soy",), "pc"),
        (("egg",), "pc"),
        (("Amide local-anaesthetic",), "lido2"),
        (("lidocaine",), "lido2"),
        (("benzyl alcohol",), "pc"),
        (("ester_local_anaesthetic",), "procaine"),
    ],
)
def test_allergy_matches_ingredient_or_allergen_family(
    make: Make, terms: tuple[str, ...], product: str
) -> None:
    patient = make.patient(allergies=(make.allergy("an allergy", *terms),))
    report = evaluate(make.check(patient, make.treatment(make.item(getattr(make, product)))))
    [finding] = report.blocks
    assert finding.code == "allergy_ingredient"
    assert finding.context["product"] == getattr(make, product).name


def test_ester_anaesthetic_allergy_does_not_block_lidocaine(make: Make) -> None:
    patient = make.patient(allergies=(make.allergy("procaine", "ester_local_anaesthetic"),))
    assert codes(make, patient=patient, treatment=make.treatment(make.item(make.lido2))) == ()


def test_allergy_message_names_ingredient_family_and_product(make: Make) -> None:
    patient = make.patient(allergies=(make.allergy("Soy", "soy"),))
    [finding] = evaluate(make.check(patient, make.treatment(make.item(make.pc)))).findings
    assert finding.message == (
        "allergy 'Soy' matches phosphatidylcholine (soy) in Phosphatidylcholine 5%"
    )
    assert finding.overridable


def test_pregnancy_and_breastfeeding_block(make: Make) -> None:
    patient = make.patient(pregnancy_status="pregnant", breastfeeding=True)
    assert codes(make, patient=patient) == ("pregnancy", "breastfeeding")


def test_stale_pregnant_status_still_blocks(make: Make) -> None:
    patient = make.patient(
        pregnancy_status="pregnant", pregnancy_status_on=make.today - timedelta(days=400)
    )
    assert codes(make, patient=patient) == ("pregnancy",)


@pytest.mark.parametrize(("days_old", "warned"), [(0, False), (30, False), (31, True)])
def test_pregnancy_status_must_be_at_most_30_days_old(
    make: Make, days_old: int, warned: bool
) -> None:
    patient = make.patient(pregnancy_status_on=make.today - timedelta(days=days_old))
    assert codes(make, patient=patient) == (("pregnancy_status_unknown",) if warned else ())


@pytest.mark.parametrize("status", [None, "unknown"])
def test_missing_or_unknown_pregnancy_status_warns(make: Make, status: str | None) -> None:
    patient = make.patient(pregnancy_status=status, pregnancy_status_on=None)
    [finding] = evaluate(make.check(patient)).findings
    assert (finding.code, finding.severity) == ("pregnancy_status_unknown", "warn")


@pytest.mark.parametrize(
    ("birth_date", "warned"),
    [
        (date(2013, 6, 16), False),  # 11 years, 364 days
        (date(2013, 6, 15), True),  # 12 today
        (date(1969, 6, 16), True),  # 55 years, 364 days
        (date(1969, 6, 15), False),  # 56 today
    ],
)
def test_pregnancy_status_applies_to_females_aged_12_to_55(
    make: Make, birth_date: date, warned: bool
) -> None:
    guardian = (make.consent(), make.consent(kind="guardian"))
    patient = make.patient(birth_date=birth_date, pregnancy_status=None, consents=guardian)
    assert ("pregnancy_status_unknown" in codes(make, patient=patient)) is warned


def test_pregnancy_status_is_not_asked_of_male_patients(make: Make) -> None:
    patient = make.patient(sex_at_birth="male", pregnancy_status=None)
    assert codes(make, patient=patient) == ()


@pytest.mark.parametrize(
    ("birth_date", "blocked"), [(date(2007, 6, 16), True), (date(2007, 6, 15), False)]
)
def test_minor_is_under_18_on_the_treatment_date(
    make: Make, birth_date: date, blocked: bool
) -> None:
    patient = make.patient(birth_date=birth_date)
    assert ("minor" in codes(make, patient=patient)) is blocked


def test_minor_block_is_not_overridable_without_guardian_consent(make: Make) -> None:
    report = evaluate(make.check(make.patient(birth_date=date(2010, 1, 1))))
    [finding] = report.findings
    assert (finding.code, finding.severity, finding.overridable) == ("minor", "block", False)
    assert report.blocked and not report.overridable


def test_minor_block_is_overridable_with_guardian_consent(make: Make) -> None:
    consents = (make.consent(), make.consent(kind="guardian"))
    report = evaluate(make.check(make.patient(birth_date=date(2010, 1, 1), consents=consents)))
    [finding] = report.findings
    assert (finding.code, finding.severity, finding.overridable) == ("minor", "block", True)
    assert report.overridable


def test_withdrawn_guardian_consent_does_not_count(make: Make) -> None:
    consents = (make.consent(), make.consent(kind="guardian", withdrawn=True))
    report = evaluate(make.check(make.patient(birth_date=date(2010, 1, 1), consents=consents)))
    assert not report.overridable


@pytest.mark.parametrize("klass", ["anticoagulant", "antiplatelet"])
def test_blood_thinners_warn(make: Make, klass: str) -> None:
    patient = make.patient(medication_classes=frozenset({klass, "other"}))
    [finding] = evaluate(make.check(patient)).findings
    assert (finding.code, finding.severity) == ("anticoagulant", "warn")


def test_other_medication_classes_do_not_warn(make: Make) -> None:
    patient = make.patient(medication_classes=frozenset({"isotretinoin", "other"}))
    assert codes(make, patient=patient) == ()


@pytest.mark.parametrize(
    ("condition", "code", "severity"),
    [
        ("bleeding_disorder", "bleeding_disorder", "block"),
        ("keloid_scarring", "keloid_history", "warn"),
        ("autoimmune_disease", "autoimmune", "warn"),
        ("cancer_under_treatment", "cancer_treatment", "block"),
        ("diabetes", None, None),
    ],
)
def test_condition_flags(
    make: Make, condition: str, code: str | None, severity: str | None
) -> None:
    patient = make.patient(conditions=(make.condition(condition),))
    found = [(f.code, f.severity) for f in evaluate(make.check(patient)).findings]
    assert found == ([(code, severity)] if code else [])


@pytest.mark.parametrize(("area", "blocked"), [("abdomen", True), (None, True), ("Face", False)])
def test_active_infection_blocks_at_a_planned_area_or_anywhere(
    make: Make, area: str | None, blocked: bool
) -> None:
    patient = make.patient(conditions=(make.condition("active_skin_infection", area),))
    assert ("active_infection" in codes(make, patient=patient)) is blocked


def test_active_infection_matches_an_item_area(make: Make) -> None:
    patient = make.patient(conditions=(make.condition("active_skin_infection", "thigh left"),))
    plan = make.treatment(make.item(body_area="Thigh-Left"))
    assert codes(make, patient=patient, treatment=plan) == ("active_infection",)


def test_thromboembolic_history_warns_only_for_lipolytic_products(make: Make) -> None:
    patient = make.patient(conditions=(make.condition("thromboembolic_history"),))
    assert codes(make, patient=patient) == ()
    lipolytic = make.treatment(make.item(make.caffeine))
    assert codes(make, patient=patient, treatment=lipolytic) == ("thromboembolic_history",)
