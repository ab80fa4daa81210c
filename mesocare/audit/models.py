from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesocare.audit.choices import AuditAction
from mesocare.clinics.tenancy import OrgQuerySet


class AppendOnlyError(RuntimeError):
    pass


class AuditEvent(models.Model):
    """Who did what to which object, when, from where, and why. Rows are never changed."""

    # No index of its own: every index below leads with the organization. On the partitioned
    # table each index is one more per monthly partition for the planner to weigh.
    organization = models.ForeignKey(
        "clinics.Organization", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    actor_label = models.CharField(max_length=254)
    action = models.CharField(max_length=16, choices=AuditAction.choices)
    object_type = models.CharField(max_length=64)
    object_id = models.CharField(max_length=64, blank=True)
    patient_id = models.BigIntegerField(null=True, blank=True)
    # A list or search read names every patient it returned, in one event per request.
    patient_ids = models.JSONField(default=list, blank=True)
    summary = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict, blank=True)
    reason = models.TextField(blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    channel = models.CharField(max_length=16, blank=True)
    at = models.DateTimeField(default=timezone.now)  # the partition key (by month)

    objects = OrgQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        # Every index ends with the ordering (at, id, newest first): a page of 50 is the index's
        # first 50 entries even where many events share a timestamp (an import, a bulk read).
        indexes = [
            models.Index(fields=["organization", "-at", "-id"], name="audit_org_at"),
            models.Index(
                fields=["organization", "patient_id", "-at", "-id"], name="audit_org_patient"
            ),
            # The audit log page's filters (and its list of object types, a skip scan).
            models.Index(
                fields=["organization", "object_type", "-at", "-id"], name="audit_org_type"
            ),
            models.Index(fields=["organization", "actor", "-at", "-id"], name="audit_org_actor"),
            # Rare actions an auditor looks for; reads (the bulk) are found on audit_org_at.
            models.Index(
                fields=["organization", "action", "-at", "-id"],
                name="audit_org_action",
                condition=~models.Q(action="read"),
            ),
        ]
        verbose_name = _("audit event")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_type}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise AppendOnlyError("audit events are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise AppendOnlyError("audit events are append-only")
