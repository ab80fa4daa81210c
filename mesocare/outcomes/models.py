"""Measurements and clinical photographs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.outcomes.choices import Landmark, MeasurementKind, PhotoSource, Unit, ViewAngle
from mesocare.patients.choices import PhotoUse


class PrivateFileURLError(PermissionError):
    """Asked for the public URL of a patient file, which by design has none."""


class PrivateStorage(FileSystemStorage):
    """MEDIA_ROOT without a URL: photos leave only through the audited views."""

    def url(self, name: str | None) -> str:
        raise PrivateFileURLError("private files have no public URL; use the photo view")


def private_storage() -> PrivateStorage:
    return PrivateStorage()


class Measurement(OrgOwned):
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.CASCADE, related_name="measurements"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=MeasurementKind.choices)
    landmark = models.CharField(_("landmark"), max_length=32, choices=Landmark.choices, blank=True)
    distance_cm = models.DecimalField(
        _("distance from reference (cm)"), max_digits=5, decimal_places=1, null=True, blank=True
    )
    value = models.DecimalField(_("value"), max_digits=7, decimal_places=2)
    unit = models.CharField(_("unit"), max_length=4, choices=Unit.choices)
    measured_on = models.DateField(_("measured on"))
    session = models.ForeignKey(
        "charting.TreatmentSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="measurements",
    )
    notes = models.CharField(_("notes"), max_length=255, blank=True)
    measured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-measured_on", "-id"]
        indexes = [models.Index(fields=["organization", "patient", "measured_on"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(value__gt=0), name="measurement_positive")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.landmark} {self.value} {self.unit}"

    @property
    def series_key(self) -> str:
        distance = f"@{self.distance_cm.normalize()}cm" if self.distance_cm is not None else ""
        return f"{self.kind}:{self.landmark}{distance}"


class Photo(OrgOwned):
    patient = models.ForeignKey("patients.Patient", on_delete=models.CASCADE, related_name="photos")
    file = models.FileField(storage=private_storage, max_length=255)
    thumbnail = models.FileField(storage=private_storage, max_length=255)
    content_type = models.CharField(max_length=32)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    body_zone = models.CharField(_("body zone"), max_length=64, blank=True)
    view = models.CharField(_("view"), max_length=10, choices=ViewAngle.choices)
    session = models.ForeignKey(
        "charting.TreatmentSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="photos",
    )
    consent_scope = models.CharField(
        _("consent scope"), max_length=32, choices=PhotoUse.choices, default=PhotoUse.CLINICAL
    )
    scope_changed_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=8, choices=PhotoSource.choices, default=PhotoSource.STAFF)
    taken_at = models.DateTimeField(_("taken at"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-taken_at", "-id"]
        indexes = [models.Index(fields=["organization", "patient", "body_zone", "view"])]

    def __str__(self) -> str:
        return f"photo {self.pk} {self.body_zone}/{self.view}"

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        for field in (self.file, self.thumbnail):
            if field:
                field.delete(save=False)
        return super().delete(*args, **kwargs)
