from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned


class Assessment(OrgOwned):
    """One scored severity assessment. Immutable: a correction is a new assessment."""

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="assessments"
    )
    scale_id = models.CharField(_("scale"), max_length=32)
    scale_version = models.CharField(max_length=16, blank=True)
    items = models.JSONField()
    total = models.DecimalField(max_digits=8, decimal_places=2)
    band = models.CharField(max_length=32, blank=True)
    body_area = models.CharField(_("body area"), max_length=64, blank=True)
    assessed_at = models.DateTimeField(_("assessed at"), default=timezone.now)
    assessed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    plan = models.ForeignKey(
        "plans.TreatmentPlan",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assessments",
    )
    session_index = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-assessed_at", "-id"]
        indexes = [models.Index(fields=["organization", "patient", "scale_id", "assessed_at"])]

    def __str__(self) -> str:
        return f"{self.scale_id} {self.total} ({self.band or '-'})"

    # Linking a stored assessment to a plan is bookkeeping, not a change of what was measured.
    LINK_FIELDS = frozenset({"plan", "session_index"})

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            update_fields = kwargs.get("update_fields")
            if update_fields is None or not set(update_fields) <= self.LINK_FIELDS:
                raise ValueError("an assessment is immutable: record a new one to correct it")
        super().save(*args, **kwargs)
