from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from mesocare.clinics.middleware import active_memberships
from mesocare.clinics.permissions import ROLE_PERMISSIONS


def actor(request: HttpRequest) -> dict[str, Any]:
    current = getattr(request, "actor", None)
    if current is None:
        return {"actor": None, "perms_": set(), "memberships": []}
    return {
        "actor": current,
        "perms_": {p.value for p in ROLE_PERMISSIONS[current.role]},
        # read when a page shows the organization switcher (fragments never do), in the
        # memberships' own order (by organization)
        "memberships": SimpleLazyObject(
            lambda: sorted(active_memberships(current.user), key=lambda m: m.organization_id)
        ),
    }
