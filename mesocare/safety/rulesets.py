"""A clinic's rule set: the defaults, plus the rules it tightened from warn to block.

Loosening a rule below its default is refused (``Invalid``); undoing a clinic's own
tightening is allowed because it returns the rule to its default.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Organization
from mesocare.clinics.permissions import Perm
from mesocare.core.safety import DEFAULT_RULES, DEFAULT_RULESET, RuleSet, RuleSpec
from mesocare.core.safety.findings import SafetyConfigError
from mesocare.errors import Invalid, NotFound
from mesocare.safety.choices import RuleSeverity
from mesocare.safety.models import SafetyRuleSetting

SPECS: dict[str, RuleSpec] = {rule.spec.code: rule.spec for rule in DEFAULT_RULES}


def _org_id(org: Organization | int) -> int:
    return org if isinstance(org, int) else org.pk


def ruleset_for(org: Organization | int) -> RuleSet:
    """The rule set the engine runs for this organization (one query)."""
    ruleset = DEFAULT_RULESET
    codes = SafetyRuleSetting.objects.for_org(_org_id(org)).filter(severity=RuleSeverity.BLOCK)
    for code in codes.values_list("code", flat=True).order_by("code"):
        if code in SPECS:  # a setting for a rule that no longer exists is ignored
            ruleset = ruleset.tighten(code)
    return ruleset


@dataclass(frozen=True)
class RuleRow:
    code: str
    title: str
    source: str
    default_severity: str
    block_at: tuple[str, ...]
    overridable: bool
    non_negotiable: bool
    clinic_severity: str | None

    @property
    def can_tighten(self) -> bool:
        return self.clinic_severity is None and (
            self.default_severity == "warn" or bool(self.block_at)
        )

    @property
    def effective(self) -> str:
        """In words: when this rule blocks for this clinic."""
        if self.clinic_severity == "block" or self.default_severity == "block":
            return "block"
        if self.block_at:
            return "block at " + ", ".join(self.block_at) + "; warn before"
        return "warn"


def rule_rows(actor: Actor) -> list[RuleRow]:
    """Every rule with its default and this clinic's setting, in engine order."""
    actor.require(Perm.ORG_VIEW)
    tightened = ruleset_for(actor.org_id).tightened
    return [
        RuleRow(
            code=spec.code,
            title=spec.title,
            source=spec.source,
            default_severity=spec.default_severity,
            block_at=tuple(sorted(spec.block_at)),
            overridable=spec.overridable,
            non_negotiable=spec.non_negotiable,
            clinic_severity="block" if spec.code in tightened else None,
        )
        for spec in SPECS.values()
    ]


@transaction.atomic
def set_rule_severity(actor: Actor, code: str, severity: str) -> RuleRow:
    """Tighten a rule to ``block`` or return it to its default with ``warn``."""
    actor.require(Perm.ORG_MANAGE)
    spec = SPECS.get(code)
    if spec is None:
        raise NotFound("not_found", _("No safety rule %s.") % code)
    if severity not in RuleSeverity.values:
        raise Invalid.field("severity", _("Severity must be 'block' or 'warn'."))
    current = ruleset_for(actor.org_id)
    setting = SafetyRuleSetting.objects.for_org(actor.org_id).filter(code=code).first()
    if severity == RuleSeverity.BLOCK:
        current.tighten(code)
        if setting is None and (spec.default_severity == "warn" or spec.block_at):
            setting = SafetyRuleSetting.objects.create(
                organization_id=actor.org_id, code=code, updated_by=actor.user
            )
            record(
                actor,
                AuditAction.CREATE,
                setting,
                summary=f"safety rule {code} tightened to block",
                changes={"severity": [spec.default_severity, "block"]},
            )
    else:
        try:
            current.loosen(code)
        except SafetyConfigError as exc:
            raise Invalid.field(
                "severity",
                _("%(code)s blocks by default; a clinic may tighten rules but not loosen them.")
                % {"code": code},
                code="rule_not_loosenable",
            ) from exc
        if setting is not None:
            record(
                actor,
                AuditAction.DELETE,
                setting,
                summary=f"safety rule {code} returned to its default",
                changes={"severity": ["block", spec.default_severity]},
            )
            setting.delete()
    return next(row for row in rule_rows(actor) if row.code == code)
