from __future__ import annotations

from django.db import models
from django.utils import timezone


class ResetRequest(models.Model):
    """One accepted "forgot my password" request, kept only as long as the rate limits look
    back. Every request is counted, whether or not its email has an account, so the limits
    answer the same for both and cannot tell an attacker which addresses exist. The email is
    kept as a keyed digest: addresses of people without an account are never stored."""

    email_digest = models.CharField(max_length=64)
    ip = models.GenericIPAddressField(null=True, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["email_digest", "at"], name="reset_email_at"),
            models.Index(fields=["ip", "at"], name="reset_ip_at"),
            models.Index(fields=["at"], name="reset_at"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.ip or '-'}"
