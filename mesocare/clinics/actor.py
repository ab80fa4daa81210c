"""The acting user in one organization: the first argument of every service."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from mesocare.clinics.permissions import Perm, role_has
from mesocare.errors import Forbidden

if TYPE_CHECKING:
    from mesocare.accounts.models import User
    from mesocare.clinics.models import Membership, Organization


@dataclass(frozen=True)
class Actor:
    membership: Membership
    ip: str | None = None
    reason: str = ""

    @property
    def user(self) -> User:
        return self.membership.user

    @property
    def organization(self) -> Organization:
        return self.membership.organization

    @property
    def org_id(self) -> int:
        return self.membership.organization_id

    @property
    def role(self) -> str:
        return self.membership.role

    def can(self, perm: Perm) -> bool:
        return role_has(self.role, perm)

    def require(self, perm: Perm) -> None:
        if not self.can(perm):
            raise Forbidden(
                "forbidden",
                _("Your role (%(role)s) may not do this (%(perm)s).")
                % {"role": self.role, "perm": perm.value},
            )
