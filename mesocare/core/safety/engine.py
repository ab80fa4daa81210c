"""Run a rule set over a check and return an ordered, deterministic report."""

from __future__ import annotations

from dataclasses import dataclass

from mesocare.core.safety.facts import Check
from mesocare.core.safety.findings import Finding
from mesocare.core.safety.registry import DEFAULT_RULESET, RuleSet

_SEVERITY_RANK = {"block": 0, "warn": 1}


@dataclass(frozen=True)
class Report:
    """``overridable`` is true when every block may be overridden by a clinician
    (trivially true without blocks); a non-overridable block stops the treatment."""

    findings: tuple[Finding, ...]

    @property
    def blocks(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "block")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warn")

    @property
    def blocked(self) -> bool:
        return bool(self.blocks)

    @property
    def overridable(self) -> bool:
        return all(f.overridable for f in self.blocks)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(f.code for f in self.findings)


def evaluate(check: Check, ruleset: RuleSet = DEFAULT_RULESET) -> Report:
    """Findings sorted by severity (block first), rule order, then context."""
    ordered: list[tuple[int, int, tuple[str, ...], Finding]] = []
    for index, rule in enumerate(ruleset.rules):
        for finding in rule.evaluate(check):
            finding = ruleset.apply(finding)
            ordered.append((_SEVERITY_RANK[finding.severity], index, finding.sort_key, finding))
    ordered.sort(key=lambda entry: entry[:3])
    return Report(tuple(entry[3] for entry in ordered))
