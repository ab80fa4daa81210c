"""Result types of the safety engine and rule metadata."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import KW_ONLY, dataclass, field, replace
from types import MappingProxyType
from typing import Literal

from mesocare.core.safety.facts import Check, Moment

Severity = Literal["block", "warn"]


class SafetyConfigError(ValueError):
    """A rule set was configured in a way that would weaken a safety default."""


@dataclass(frozen=True)
class Finding:
    """One safety finding. ``context`` is read-only; its values are str, int, Decimal,
    date, bool or sorted tuples of those, so findings compare and sort deterministically."""

    code: str
    severity: Severity
    message: str
    rule: str
    source: str
    overridable: bool
    context: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))
    # The message for a reader who may not see the patient's medications (reception):
    # set by rules whose message names a medication or medication class.
    message_without_medications: str | None = None

    def without_medications(self) -> Finding:
        """This finding with medication names and classes withheld from message and context."""
        if self.message_without_medications is None:
            return self
        context = {k: v for k, v in self.context.items() if not k.startswith("medication")}
        return replace(
            self,
            message=self.message_without_medications,
            context=MappingProxyType(context),
        )

    @property
    def sort_key(self) -> tuple[str, ...]:
        """Product, lot and area first (what a clinician scans for), then the rest."""
        leading = tuple(str(self.context.get(k, "")) for k in ("product", "lot", "body_area"))
        return leading + tuple(f"{k}={v!r}" for k, v in sorted(self.context.items()))


@dataclass(frozen=True)
class RuleSpec:
    """Metadata of one rule.

    ``default_severity`` applies at every moment except those in ``block_at``, where
    the finding is a block. ``non_negotiable`` rules are never overridable and can
    never be loosened or reconfigured by a clinic.
    """

    code: str
    title: str
    source: str
    default_severity: Severity
    _: KW_ONLY  # the flags read as what they are at every rule's definition
    overridable: bool
    non_negotiable: bool = False
    block_at: frozenset[Moment] = frozenset()

    def severity_at(self, moment: Moment) -> Severity:
        return "block" if moment in self.block_at else self.default_severity

    def finding(
        self,
        check: Check,
        message: str,
        context: Mapping[str, object] | None = None,
        *,
        overridable: bool | None = None,
        message_without_medications: str | None = None,
    ) -> Finding:
        """Build this rule's finding with its default severity at ``check.moment``."""
        return Finding(
            code=self.code,
            severity=self.severity_at(check.moment),
            message=message,
            rule=self.title,
            source=self.source,
            overridable=self.overridable if overridable is None else overridable,
            context=MappingProxyType(dict(context or {})),
            message_without_medications=message_without_medications,
        )


RuleFn = Callable[[Check], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    spec: RuleSpec
    evaluate: RuleFn
