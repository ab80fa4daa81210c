"""A client's Idempotency-Key and the first answer given to it."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from mesocare.clinics.tenancy import OrgOwned


class IdempotencyKey(OrgOwned):
    """One key per organization and user: a retry by the same actor with the same key and the
    same request gets `status`/`body` back instead of running the request again. The unique
    constraint is what stops two concurrent retries from both running."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(_("key"), max_length=255)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    status = models.PositiveSmallIntegerField(_("response status"), null=True, blank=True)
    body = models.TextField(_("response body"), blank=True)
    content_type = models.CharField(_("response content type"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "key"], name="idempotency_key_unique_per_actor"
            )
        ]

    def __str__(self) -> str:
        return self.key
