"""SMART Backend Services: registered clients (with their public keys), the access tokens
issued to them, and the assertion ids already used (so a signed assertion works once)."""

from __future__ import annotations

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


class SmartAccessToken(models.Model):
    client = models.ForeignKey(SmartClient, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=200)
    expires_at = models.DateTimeField(db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"token of {self.client_id} until {self.expires_at:%Y-%m-%d %H:%M}"


class UsedAssertion(models.Model):
    """A client assertion's `jti`, kept until the assertion expires (replay protection)."""

    client = models.ForeignKey(SmartClient, on_delete=models.CASCADE, related_name="+")
    jti = models.CharField(max_length=255)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["client", "jti"], name="smart_assertion_once")
        ]

    def __str__(self) -> str:
        return self.jti
