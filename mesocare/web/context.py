from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from mesocare.clinics.models import Membership
from mesocare.clinics.permissions import ROLE_PERMISSIONS


def actor(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "actor", None)
    if current is None:
        return {"actor": None, "perms_": set(), "memberships": []}
    memberships = Membership.objects.filter(user=current.user, is_active=True).select_related(
        "organization"
    )
    return {
        "actor": current,
        "perms_": {p.value for p in ROLE_PERMISSIONS[current.role]},
        "memberships": memberships,
    }
