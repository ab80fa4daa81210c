"""Sign-in lockout: per account and per client address, each with its own limit.

django-axes counts failures per lockout parameter but compares them all with one limit. One
limit for both would let five mistyped passwords in a clinic that shares one public address
lock every colleague out, so an address gets `MESOCARE_IP_FAILURE_LIMIT` and an account
`AXES_FAILURE_LIMIT`. Administrators unlock accounts of their own organization (audited)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_lockout_parameters
from axes.models import AccessAttempt
from django.conf import settings
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import require_in_org
from mesocare.errors import Invalid


def _limit(parameter: Any) -> int:
    if parameter == "ip_address":
        return int(settings.MESOCARE_IP_FAILURE_LIMIT)
    return int(settings.AXES_FAILURE_LIMIT)


def username_of(request: Any, credentials: dict[str, Any] | None) -> str | None:
    """Emails are stored in lower case: count `Ana@X` and `ana@x` as one account."""
    raw = (credentials or {}).get(settings.AXES_USERNAME_FORM_FIELD)
    if raw is None and request is not None:
        raw = request.POST.get(settings.AXES_USERNAME_FORM_FIELD)
    return raw.strip().lower() if isinstance(raw, str) else None


class LockoutHandler(AxesDatabaseHandler):
    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """Axes compares this number with AXES_FAILURE_LIMIT: report the limit when any
        parameter reached its own limit, otherwise the highest count below it."""
        parameters = get_lockout_parameters(request, credentials)
        attempts = self.get_user_attempts(request, credentials)
        highest = 0
        for parameter, queryset in zip(parameters, attempts, strict=True):
            failures = queryset.aggregate(n=Sum("failures_since_start"))["n"] or 0
            if failures >= _limit(parameter):
                return int(settings.AXES_FAILURE_LIMIT)
            highest = max(highest, failures)
        return min(highest, int(settings.AXES_FAILURE_LIMIT) - 1)


def _recent(queryset: Any) -> Any:
    if settings.AXES_COOLOFF_TIME is None:
        return queryset
    cool_off = dt.timedelta(hours=settings.AXES_COOLOFF_TIME)
    return queryset.filter(attempt_time__gte=timezone.now() - cool_off)


def locked_emails(actor: Actor) -> set[str]:
    """Emails of this organization's members whose account is locked out now."""
    actor.require(Perm.STAFF_MANAGE)
    emails = Membership.objects.for_org(actor.org_id).values("user__email")
    counts = (
        _recent(AccessAttempt.objects.filter(username__in=emails))
        .values("username")
        .annotate(n=Sum("failures_since_start"))
    )
    return {row["username"] for row in counts if row["n"] >= settings.AXES_FAILURE_LIMIT}


@transaction.atomic
def unlock_sign_in(actor: Actor, membership: Membership, *, channel: str = "web") -> int:
    """Clear the failed sign-ins of a member's account; returns how many were cleared."""
    actor.require(Perm.STAFF_MANAGE)
    require_in_org(
        actor,
        membership,
        error=Invalid.field("membership", _("Not a member of this organization.")),
    )
    email = membership.user.email
    attempts = AccessAttempt.objects.filter(username=email)
    cleared = attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
    attempts.delete()
    record(
        actor,
        AuditAction.UPDATE,
        membership,
        summary=f"sign-in unlocked for {email}",
        changes={"failed_sign_ins_cleared": cleared},
        channel=channel,
    )
    return cleared
