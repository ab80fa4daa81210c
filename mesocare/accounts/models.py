from __future__ import annotations

import hashlib
import secrets
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from mesocare.lib.compiled_query import CompiledQuery


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> User:
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who signs in. What they may do depends on their Membership in an Organization."""

    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=150, blank=True)
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=[("en", "English"), ("it", "Italiano")]
    )
    is_active = models.BooleanField(default=True)  # type: ignore[assignment,misc]
    is_staff = models.BooleanField(default=False)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("user")

    def __str__(self) -> str:
        return self.full_name or self.email


def _hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token that acts as one membership (a user in one organization).

    Only the SHA-256 of the token is stored; the token itself is shown once, at creation.
    """

    PREFIX = "mc_"

    organization = models.ForeignKey(
        "clinics.Organization", on_delete=models.CASCADE, related_name="+"
    )  # the membership's
    membership = models.ForeignKey(
        "clinics.Membership", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(max_length=100, blank=True)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.name or 'token'} ({self.membership})"

    @classmethod
    def issue(cls, membership: Any, name: str = "") -> tuple[ApiToken, str]:
        raw = cls.PREFIX + secrets.token_urlsafe(32)
        token = cls.objects.create(
            organization_id=membership.organization_id,
            membership=membership,
            name=name,
            token_hash=_hash_token(raw),
        )
        return token, raw

    @classmethod
    def find_active(cls, raw: str) -> ApiToken | None:
        """Read on every API request, never cached: a revoked token, a deactivated membership
        or user is refused from the next request on."""
        return _ACTIVE_TOKEN.first(token_hash=_hash_token(raw))


_ACTIVE_TOKEN = CompiledQuery(
    lambda token_hash: (
        ApiToken.objects.select_related(
            "membership__user", "membership__organization", "membership__default_location"
        )
        .filter(token_hash=token_hash, revoked_at__isnull=True)
        .filter(membership__is_active=True, membership__user__is_active=True)[:1]
    ),
    token_hash=str,
)
