"""Stored safety checks, clinician overrides and a clinic's tightened rules."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinLengthValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.safety.choices import Moment, RuleSeverity

OVERRIDE_REASON_MIN_LENGTH = 10


class SafetyCheck(OrgOwned):
    """One run of the safety engine: what it was asked (the facts it saw) and what it found.

    ``request`` is the engine input as JSON (patient facts, planned items, date), so the
    finding can be explained later even after the chart changed.
    """

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_checks"
    )
    moment = models.CharField(_("moment"), max_length=12, choices=Moment.choices)
    on = models.DateField(_("treatment date"))
    request = models.JSONField(default=dict)
    findings = models.JSONField(default=list)
    blocked = models.BooleanField(default=False)
    overridable = models.BooleanField(
        default=True, help_text=_("Every block may be overridden by a clinician.")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["organization", "patient", "-created_at"], name="safety_chk_pat")
        ]

    def __str__(self) -> str:
        return f"safety check {self.pk} ({self.moment}, {self.on})"

    @property
    def block_codes(self) -> list[str]:
        return sorted({f["code"] for f in self.blocks})

    @property
    def blocks(self) -> list[dict[str, Any]]:
        return [f for f in self.findings if f.get("severity") == "block"]


class SafetyOverride(OrgOwned):
    """A clinician's decision to proceed despite overridable blocks, with the reason."""

    # Not named ``check``: that would shadow ``Model.check()`` (system checks).
    safety_check = models.ForeignKey(
        SafetyCheck, on_delete=models.PROTECT, related_name="overrides"
    )
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="safety_overrides"
    )
    codes = models.JSONField(_("codes overridden"), default=list)
    reason = models.TextField(
        _("reason"), validators=[MinLengthValidator(OVERRIDE_REASON_MIN_LENGTH)]
    )
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=16)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"override of {', '.join(self.codes)} (check {self.safety_check_id})"


class SafetyRuleSetting(OrgOwned):
    """A clinic's stricter severity for one rule. Only "block" is stored: loosening a rule
    below its default is refused by the service."""

    code = models.CharField(_("rule"), max_length=64)
    severity = models.CharField(
        _("severity"), max_length=8, choices=RuleSeverity.choices, default=RuleSeverity.BLOCK
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="safety_rule_unique"),
            models.CheckConstraint(
                condition=models.Q(severity="block"), name="safety_rule_only_tightens"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.severity}"
