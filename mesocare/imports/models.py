"""What a switching import remembers: which object each external row became (so a second run
changes nothing), and the files uploaded on the admin page between upload and import."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned
from mesocare.imports.choices import FileEncoding, ImportKind, UploadStatus


class ImportedRecord(OrgOwned):
    """(organization, source system, kind, external id) → the object the row became."""

    source = models.CharField(_("source system"), max_length=64)
    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    external_id = models.CharField(_("external id"), max_length=128)
    object_id = models.BigIntegerField()
    # True when the row was linked to a patient who was already on file (duplicate matching).
    matched_existing = models.BooleanField(default=False)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "source", "kind", "external_id"],
                name="imported_record_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.kind} {self.external_id}"


class ImportUpload(OrgOwned):
    """A CSV file uploaded on the admin page, kept until it is imported (then its content is
    dropped and only the report stays) or until it expires."""

    kind = models.CharField(_("kind"), max_length=16, choices=ImportKind.choices)
    source = models.CharField(_("source system"), max_length=64)
    filename = models.CharField(_("file name"), max_length=255)
    encoding = models.CharField(
        _("encoding"), max_length=16, choices=FileEncoding.choices, default=FileEncoding.AUTO
    )
    content = models.BinaryField(editable=False)
    mapping = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=12, choices=UploadStatus.choices, default=UploadStatus.PENDING
    )
    report = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)
    imported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.filename
