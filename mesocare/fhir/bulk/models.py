"""SMART Backend Services: registered clients (with their public keys), the access tokens
issued to them, and the assertion ids already used (so a signed assertion works once); Bulk
Data export jobs."""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned


class SmartClient(OrgOwned):
    """A backend service allowed to read the organization's FHIR data with a signed JWT.

    It reads as `membership` (a member of staff, usually an auditor): the same permissions,
    the same audit trail, with the client named as the reason."""

    name = models.CharField(_("name"), max_length=200)
    client_id = models.CharField(_("client id"), max_length=64, unique=True)
    jwks = models.JSONField(_("public keys (JWKS)"))
    scopes = models.CharField(_("scopes"), max_length=200, default="system/*.read")
    membership = models.ForeignKey("clinics.Membership", on_delete=models.PROTECT, related_name="+")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class SmartAccessToken(OrgOwned):  # the client's organization
    client = models.ForeignKey(SmartClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"token of {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class UsedAssertion(OrgOwned):  # the client's organization
    """A client assertion's `jti`, kept until the assertion expires (replay protection)."""

    client = models.ForeignKey(SmartClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["client", "jti", "organization"], name="smart_assertion_once"
            )
        ]

    def __str__(self) -> str:
        return self.jti


class ExportStatus(models.TextChoices):
    ACCEPTED = "accepted", _("Waiting")
    RUNNING = "running", _("Running")
    COMPLETED = "completed", _("Completed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ExportJob(OrgOwned):
    """One Bulk Data export (FHIR Bulk Data Access IG 2.0.0): what was asked, by whom, and the
    ndjson files it produced (under MEDIA_ROOT, never served by a public URL)."""

    LEVELS = (("system", "system"), ("patient", "patient"), ("group", "group"))

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    membership = models.ForeignKey("clinics.Membership", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=8, choices=LEVELS)
    group_id = models.BigIntegerField(null=True, blank=True)
    types = models.JSONField(default=list)
    since = models.DateTimeField(null=True, blank=True)
    request_url = models.TextField()
    status = models.CharField(
        max_length=12, choices=ExportStatus.choices, default=ExportStatus.ACCEPTED
    )
    progress = models.CharField(max_length=100, blank=True)
    transaction_time = models.DateTimeField(null=True, blank=True)
    output = models.JSONField(default=list, blank=True)
    errors = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.level} export {self.id}"
