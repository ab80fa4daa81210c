"""Pure safety engine: contraindications, dose limits, lots and consent.

No Django, no I/O, no clock: the caller passes the local treatment date in ``Check.on``.
"""

from __future__ import annotations

from mesocare.core.safety.engine import Report, evaluate
from mesocare.core.safety.facts import (
    Allergy,
    Check,
    ConditionFact,
    ConsentFact,
    IngredientDose,
    LotFacts,
    PatientFacts,
    PlannedItem,
    PreviousSession,
    ProductFacts,
    Treatment,
)
from mesocare.core.safety.findings import Finding, Rule, RuleSpec, SafetyConfigError
from mesocare.core.safety.registry import DEFAULT_RULES, DEFAULT_RULESET, RULE_CODES, RuleSet

__all__ = [
    "DEFAULT_RULES",
    "DEFAULT_RULESET",
    "RULE_CODES",
    "Allergy",
    "Check",
    "ConditionFact",
    "ConsentFact",
    "Finding",
    "IngredientDose",
    "LotFacts",
    "PatientFacts",
    "PlannedItem",
    "PreviousSession",
    "ProductFacts",
    "Report",
    "Rule",
    "RuleSet",
    "RuleSpec",
    "SafetyConfigError",
    "Treatment",
    "evaluate",
]
