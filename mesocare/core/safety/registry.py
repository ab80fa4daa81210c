"""The default rule list (its order is the fixed output order) and clinic rule sets.

A clinic may make a rule stricter (warn → block) but never weaker: default blocks,
moment-dependent blocks and non-negotiable rules cannot be loosened.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from mesocare.core.safety import rules_dose as dose
from mesocare.core.safety import rules_patient as patient
from mesocare.core.safety import rules_plan as plan
from mesocare.core.safety.facts import Moment
from mesocare.core.safety.findings import Finding, Rule, SafetyConfigError, Severity

DEFAULT_RULES: tuple[Rule, ...] = (
    Rule(patient.ALLERGY, patient.allergy_ingredient),
    Rule(patient.ALLERGIES_UNKNOWN, patient.allergies_not_recorded),
    Rule(patient.PREGNANCY, patient.pregnancy),
    Rule(patient.BREASTFEEDING, patient.breastfeeding),
    Rule(patient.TERATOGEN, patient.teratogen_contraception),
    Rule(patient.PREGNANCY_UNKNOWN, patient.pregnancy_status_unknown),
    Rule(patient.MINOR, patient.minor),
    Rule(patient.ANTICOAGULANT, patient.anticoagulant),
    Rule(patient.BLEEDING, patient.bleeding_disorder),
    Rule(patient.INFECTION, patient.active_infection),
    Rule(patient.KELOID, patient.keloid_history),
    Rule(patient.AUTOIMMUNE, patient.autoimmune),
    Rule(patient.CANCER, patient.cancer_treatment),
    Rule(patient.THROMBO, patient.thromboembolic_history),
    Rule(patient.TXA_HORMONAL, patient.tranexamic_hormonal_contraceptive),
    Rule(dose.WEIGHT_MISSING, dose.weight_missing),
    Rule(dose.LIDOCAINE_DOSE, dose.lidocaine_dose),
    Rule(dose.DCA_SESSION, dose.deoxycholic_session_dose),
    Rule(dose.DCA_COURSE, dose.deoxycholic_course_limit),
    Rule(dose.PC_SESSION, dose.phosphatidylcholine_session_dose),
    Rule(dose.INTERVAL, dose.interval_too_short),
    Rule(plan.LOT_EXPIRED, plan.lot_expired),
    Rule(plan.LOT_RECALLED, plan.lot_recalled),
    Rule(plan.CONSENT, plan.consent_missing),
    Rule(plan.MIX, plan.incompatible_mix),
    Rule(plan.OUTSIDE_LABEL, plan.outside_label_population),
)

RULE_CODES: tuple[str, ...] = tuple(rule.spec.code for rule in DEFAULT_RULES)


@dataclass(frozen=True)
class RuleSet:
    """The default rules, optionally extra clinic rules, and the codes a clinic tightened.

    Default rules cannot be removed or replaced (that would loosen them); extra rules
    run after the defaults, in the order given.
    """

    rules: tuple[Rule, ...] = DEFAULT_RULES
    tightened: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        codes = [rule.spec.code for rule in self.rules]
        if len(set(codes)) != len(codes):
            raise SafetyConfigError("duplicate rule codes in rule set")
        missing = [rule.spec.code for rule in DEFAULT_RULES if rule not in self.rules]
        if missing:
            raise SafetyConfigError(f"default rules cannot be removed: {', '.join(missing)}")
        unknown = self.tightened - set(codes)
        if unknown:
            raise SafetyConfigError(f"unknown rule codes: {', '.join(sorted(unknown))}")

    def _rule(self, code: str) -> Rule:
        for rule in self.rules:
            if rule.spec.code == code:
                return rule
        raise SafetyConfigError(f"unknown rule code: {code}")

    def tighten(self, code: str) -> RuleSet:
        """Return a rule set where ``code`` blocks at every moment."""
        self._rule(code)
        return replace(self, tightened=self.tightened | {code})

    def loosen(self, code: str) -> RuleSet:
        """Undo :meth:`tighten`. Loosening anything below its default raises."""
        spec = self._rule(code).spec
        if spec.non_negotiable:
            raise SafetyConfigError(f"{code} is non-negotiable and cannot be loosened")
        if code in self.tightened:
            return replace(self, tightened=self.tightened - {code})
        if spec.default_severity == "block" or spec.block_at:
            raise SafetyConfigError(f"{code} blocks by default and cannot be loosened to warn")
        return self

    def severity(self, code: str, moment: Moment) -> Severity:
        spec = self._rule(code).spec
        return "block" if code in self.tightened else spec.severity_at(moment)

    def apply(self, finding: Finding) -> Finding:
        """Raise a finding to block when its rule has been tightened."""
        if finding.code in self.tightened and finding.severity != "block":
            return replace(finding, severity="block")
        return finding


DEFAULT_RULESET = RuleSet()
