"""Indications, body zones, instruction sets and treatment protocols."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.catalog.choices import (
    EvidenceLevel,
    InstructionKind,
    ProductRole,
    Technique,
    ZoneRegion,
)
from mesocare.clinics.choices import RoomKind


class Zone(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    region = models.CharField(max_length=8, choices=ZoneRegion.choices)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name


class Indication(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(blank=True)
    body_areas = models.JSONField(default=list, blank=True)
    default_room_kind = models.CharField(max_length=16, choices=RoomKind.choices)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InstructionSet(models.Model):
    code = models.SlugField(max_length=64, unique=True)
    kind = models.CharField(max_length=16, choices=InstructionKind.choices)
    name = models.CharField(_("name"), max_length=200)
    items = models.JSONField(default=list)
    citations = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name


class Protocol(models.Model):
    """A way to treat an indication. Curated defaults have no organization and are read-only;
    a clinic copies one and edits its copy. Every edit bumps `version` and keeps a snapshot."""

    organization = models.ForeignKey(
        "clinics.Organization", on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    code = models.SlugField(max_length=80)
    indication = models.ForeignKey(Indication, on_delete=models.PROTECT, related_name="protocols")
    name = models.CharField(_("name"), max_length=200)
    technique = models.CharField(max_length=20, choices=Technique.choices)
    depth_mm_min = models.DecimalField(max_digits=5, decimal_places=2)
    depth_mm_max = models.DecimalField(max_digits=5, decimal_places=2)
    volume_per_point_ml_min = models.DecimalField(max_digits=6, decimal_places=3)
    volume_per_point_ml_max = models.DecimalField(max_digits=6, decimal_places=3)
    volume_per_session_ml_min = models.DecimalField(max_digits=6, decimal_places=2)
    volume_per_session_ml_max = models.DecimalField(max_digits=6, decimal_places=2)
    scale = models.CharField(max_length=32, blank=True)
    sessions_by_band = models.JSONField(default=dict)
    interval_min_days = models.PositiveIntegerField()
    interval_target_days = models.PositiveIntegerField()
    interval_max_days = models.PositiveIntegerField()
    # "At least N calendar months" (31 January + 1 month = 28/29 February) on top of the
    # day minimum; planning targets and the safety rule both use it.
    interval_min_months = models.PositiveIntegerField(null=True, blank=True)
    # The most severe baseline score the protocol plans (e.g. Norwood V/Va for a trial
    # population); a worse baseline is refused rather than planned outside the evidence.
    max_baseline_total = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    response_check_session = models.PositiveIntegerField(default=2)
    responder_min_improvement = models.DecimalField(
        max_digits=6, decimal_places=2, null=True, blank=True
    )
    target_band = models.CharField(max_length=32, blank=True)
    maintenance_interval_days = models.PositiveIntegerField(null=True, blank=True)
    session_duration_min = models.PositiveIntegerField(default=30)
    room_kind = models.CharField(max_length=16, choices=RoomKind.choices)
    pre_care = models.ForeignKey(
        InstructionSet, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    aftercare = models.ForeignKey(
        InstructionSet, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    evidence_level = models.CharField(max_length=16, choices=EvidenceLevel.choices)
    notes = models.TextField(blank=True)
    citations = models.JSONField(default=list, blank=True)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="copies"
    )
    version = models.PositiveIntegerField(default=1)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["indication__name", "name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "code"], name="protocol_code_unique"),
            models.UniqueConstraint(
                fields=["code"],
                condition=models.Q(organization__isnull=True),
                name="protocol_default_code_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(interval_min_days__lte=models.F("interval_target_days"))
                & models.Q(interval_target_days__lte=models.F("interval_max_days")),
                name="protocol_interval_order",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_default(self) -> bool:
        return self.organization_id is None


class ProtocolProduct(models.Model):
    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="product_links")
    product = models.ForeignKey("catalog.Product", on_delete=models.PROTECT, related_name="+")
    role = models.CharField(max_length=16, choices=ProductRole.choices, default=ProductRole.ACTIVE)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.product_id} ({self.role})"


class ProtocolVersion(models.Model):
    """A frozen copy of a protocol as it was at one version; plans point at these."""

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    snapshot = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )
    reason = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["protocol_id", "version"]
        constraints = [
            models.UniqueConstraint(fields=["protocol", "version"], name="protocol_version_unique")
        ]

    def __str__(self) -> str:
        return f"{self.protocol_id} v{self.version}"
