from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from mesocare.core.safety import (
    DEFAULT_RULES,
    DEFAULT_RULESET,
    RULE_CODES,
    Rule,
    RuleSet,
    RuleSpec,
    SafetyConfigError,
    evaluate,
)

Make = Any  # the conftest ``Make`` builder

CONTRACT = {
    "allergy_ingredient": "block",
    "allergies_not_recorded": "warn",
    "pregnancy": "block",
    "breastfeeding": "block",
    "teratogen_contraception": "block",
    "pregnancy_status_unknown": "warn",
    "minor": "block",
    "anticoagulant": "warn",
    "bleeding_disorder": "block",
    "active_infection": "block",
    "keloid_history": "warn",
    "autoimmune": "warn",
    "cancer_treatment": "block",
    "thromboembolic_history": "warn",
    "tranexamic_hormonal_contraceptive": "warn",
    "weight_missing": "warn",
    "lidocaine_dose": "block",
    "deoxycholic_session_dose": "block",
    "deoxycholic_course_limit": "warn",
    "phosphatidylcholine_session_dose": "block",
    "interval_too_short": "block",
    "lot_expired": "block",
    "lot_recalled": "block",
    "consent_missing": "warn",
    "incompatible_mix": "warn",
    "outside_label_population": "warn",
}
NON_NEGOTIABLE = {"lidocaine_dose", "deoxycholic_session_dose", "lot_expired", "lot_recalled"}


def test_registry_holds_exactly_the_contract_codes_and_defaults() -> None:
    assert tuple(CONTRACT) == RULE_CODES
    assert {r.spec.code: r.spec.default_severity for r in DEFAULT_RULES} == CONTRACT
    assert {r.spec.code for r in DEFAULT_RULES if r.spec.non_negotiable} == NON_NEGOTIABLE
    for rule in DEFAULT_RULES:
        assert rule.spec.title and rule.spec.source
        if rule.spec.non_negotiable:
            assert not rule.spec.overridable


def test_findings_carry_rule_title_and_source(make: Make) -> None:
    [finding] = evaluate(make.check(make.patient(breastfeeding=True))).findings
    assert finding.rule == "Breastfeeding"
    assert "J Clin Med" in finding.source


def test_blocks_come_first_then_rule_order_then_product(make: Make) -> None:
    patient = make.patient(
        allergies=(make.allergy("soy", "soy"), make.allergy("lidocaine", "lidocaine")),
        conditions=(make.condition("keloid_scarring"),),
        medication_classes=frozenset({"anticoagulant"}),
        birth_date=date(2010, 1, 1),
    )
    plan = make.treatment(make.item(make.pc, "4", syringe=1), make.item(make.lido1, "1", syringe=1))
    report = evaluate(make.check(patient, plan))
    assert report.codes == (
        "allergy_ingredient",
        "allergy_ingredient",
        "minor",
        "anticoagulant",
        "keloid_history",
        "incompatible_mix",
    )
    assert [f.context.get("product") for f in report.findings[:2]] == [
        "Lidocaine 1%",
        "Phosphatidylcholine 5%",
    ]


def test_tightening_turns_a_warning_into_a_block(make: Make) -> None:
    ruleset = DEFAULT_RULESET.tighten("keloid_history")
    check = make.check(make.patient(conditions=(make.condition("keloid_scarring"),)))
    [finding] = evaluate(check, ruleset).findings
    assert (finding.severity, finding.overridable) == ("block", True)
    assert evaluate(check).findings[0].severity == "warn"
    assert ruleset.severity("keloid_history", "booking") == "block"


def test_tightened_moment_rules_block_at_every_moment(make: Make) -> None:
    ruleset = DEFAULT_RULESET.tighten("consent_missing")
    check = make.check(make.patient(consents=()), moment="booking")
    assert evaluate(check, ruleset).blocked


def test_a_tightened_rule_can_be_loosened_back(make: Make) -> None:
    ruleset = DEFAULT_RULESET.tighten("autoimmune").loosen("autoimmune")
    assert ruleset == DEFAULT_RULESET


@pytest.mark.parametrize(
    "code",
    ["pregnancy", "minor", "lidocaine_dose", "lot_recalled", "weight_missing", "consent_missing"],
)
def test_default_blocks_cannot_be_loosened(code: str) -> None:
    with pytest.raises(SafetyConfigError):
        DEFAULT_RULESET.loosen(code)


def test_unknown_codes_are_rejected() -> None:
    with pytest.raises(SafetyConfigError):
        DEFAULT_RULESET.tighten("no_such_rule")
    with pytest.raises(SafetyConfigError):
        RuleSet(tightened=frozenset({"no_such_rule"}))


def test_report_is_overridable_only_when_every_block_is(make: Make) -> None:
    report = evaluate(make.check(make.patient(pregnancy_status="pregnant")))
    assert report.blocked and report.overridable
    expired = make.lot(expiry=date(2020, 1, 1))
    plan = make.treatment(make.item(lot=expired))
    report = evaluate(make.check(make.patient(pregnancy_status="pregnant"), plan))
    assert report.blocked and not report.overridable
    assert report.codes == ("pregnancy", "lot_expired")


def test_clinical_worked_example_60_kg_2_percent_plain(make: Make) -> None:
    patient = make.patient(weight_kg=Decimal("60"))
    ok = evaluate(make.check(patient, make.treatment(make.item(make.lido2, "13.5"))))
    assert not ok.blocked
    over = evaluate(make.check(patient, make.treatment(make.item(make.lido2, "13.6"))))
    assert [f.message for f in over.blocks] == [
        "lidocaine 272 mg exceeds 270 mg (4.5 mg/kg × 60 kg)"
    ]


def test_findings_are_immutable(make: Make) -> None:
    [finding] = evaluate(make.check(make.patient(breastfeeding=True))).findings
    with pytest.raises(TypeError):
        finding.context["x"] = 1  # type: ignore[index]


def test_default_rules_cannot_be_removed() -> None:
    with pytest.raises(SafetyConfigError):
        RuleSet(rules=DEFAULT_RULES[1:])


def test_clinic_rules_run_after_the_defaults(make: Make) -> None:
    spec = RuleSpec("clinic_note", "Clinic note", "clinic policy", "warn", overridable=True)
    extra = Rule(spec, lambda check: [spec.finding(check, "see the clinic note")])
    report = evaluate(
        make.check(make.patient(breastfeeding=True)), RuleSet(DEFAULT_RULES + (extra,))
    )
    assert report.codes == ("breastfeeding", "clinic_note")
