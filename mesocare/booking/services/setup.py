"""The organization's online booking settings and the services it offers online."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.cache import cache
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from mesocare.accounts.models import User
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import diff, record
from mesocare.booking.models import OnlineBookingSettings, OnlineService
from mesocare.catalog.models import Protocol
from mesocare.clinics.actor import Actor
from mesocare.clinics.choices import Role
from mesocare.clinics.models import Membership, Organization
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org, require_in_org
from mesocare.errors import Invalid, NotFound
from mesocare.lib.validation import full_clean_or_invalid

ONLINE_USER_IDS_KEY = "booking:online-user-ids"
SETTINGS_FIELDS = ("enabled", "cutoff_hours", "policy_text")
SERVICE_FIELDS = (
    "name",
    "kind",
    "protocol",
    "description",
    "bookable_online",
    "duration_min",
    "price_text",
    "lead_time_hours",
    "cutoff_hours",
    "booking_horizon_days",
    "room_kind",
    "policy_text",
)


def _online_member(org: Organization) -> Membership:
    """The member in whose name online bookings are written: a user who cannot sign in (no
    usable password, inactive), in a membership that is inactive (it never shows in staff
    lists or receives staff messages) but carries the front desk's role for the services."""
    user = User(
        email=f"online-booking-{org.pk}-{secrets.token_hex(4)}@{org.slug}.invalid",
        full_name=_("Online booking"),
        is_active=False,
    )
    user.set_unusable_password()
    user.save()
    return Membership.objects.create(
        organization=org, user=user, role=Role.RECEPTION, is_active=False
    )


def settings_of(org: Organization | int) -> OnlineBookingSettings:
    """The organization's settings, made (closed, default cut-off) on first use."""
    org_id = org if isinstance(org, int) else org.pk
    found = OnlineBookingSettings.objects.for_org(org_id).select_related("membership__user").first()
    if found is not None:
        return found
    organization = org if isinstance(org, Organization) else Organization.objects.get(pk=org_id)
    with transaction.atomic():
        found = OnlineBookingSettings.objects.for_org(org_id).select_for_update().first()
        if found is None:
            found = OnlineBookingSettings.objects.create(
                organization=organization, membership=_online_member(organization)
            )
            cache.delete(ONLINE_USER_IDS_KEY)
    return found


def online_actor(org: Organization | int, ip: str | None = None) -> Actor:
    """The actor of online bookings and online intake in ``org``."""
    return Actor(membership=settings_of(org).membership, ip=ip, reason="online booking")


def online_user_ids() -> frozenset[int]:
    """Users in whose name online bookings are written (for the "online" badge)."""
    ids = cache.get(ONLINE_USER_IDS_KEY)
    if ids is None:
        ids = frozenset(OnlineBookingSettings.objects.values_list("membership__user_id", flat=True))
        cache.set(ONLINE_USER_IDS_KEY, ids, 3600)
    return frozenset(ids)


@transaction.atomic
def update_settings(actor: Actor, **changes: Any) -> OnlineBookingSettings:
    actor.require(Perm.ORG_MANAGE)
    current = settings_of(actor.org_id)
    unknown = set(changes) - set(SETTINGS_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], _("Unknown field."))
    changed = diff(current, changes)
    for name, value in changes.items():
        setattr(current, name, value)
    full_clean_or_invalid(current, exclude=["organization", "membership"])
    current.save()
    record(
        actor,
        AuditAction.UPDATE,
        current,
        summary="online booking settings changed",
        changes=changed,
        channel="web",
    )
    return current


def list_services(actor: Actor, *, online_only: bool = False) -> QuerySet[OnlineService]:
    actor.require(Perm.SCHEDULE_VIEW)
    qs = OnlineService.objects.for_org(actor.org_id).select_related("protocol")
    if online_only:
        qs = qs.filter(bookable_online=True)
    return qs.order_by("name", "id")


def get_service(actor: Actor, pk: Any) -> OnlineService:
    actor.require(Perm.SCHEDULE_VIEW)
    return get_for_org(OnlineService, actor.org_id, pk)


def _check_protocol(actor: Actor, protocol: Protocol | None) -> None:
    if protocol is None:
        return
    if protocol.organization_id not in (None, actor.org_id):
        raise NotFound("not_found", _("No protocol with this id."))


@transaction.atomic
def save_service(
    actor: Actor, service: OnlineService | None = None, *, channel: str = "web", **fields: Any
) -> OnlineService:
    """Create a service (``service`` None) or change one."""
    actor.require(Perm.ORG_MANAGE)
    unknown = set(fields) - set(SERVICE_FIELDS)
    if unknown:
        raise Invalid.field(sorted(unknown)[0], _("Unknown field."))
    _check_protocol(actor, fields.get("protocol"))
    creating = service is None
    if service is None:
        service = OnlineService(organization_id=actor.org_id)
    else:
        require_in_org(actor, service)
    changed = {} if creating else diff(service, fields)
    for name, value in fields.items():
        setattr(service, name, value)
    full_clean_or_invalid(service, exclude=["organization"])
    if (
        OnlineService.objects.for_org(actor.org_id)
        .filter(name=service.name)
        .exclude(pk=service.pk)
        .exists()
    ):
        raise Invalid.field("name", _("Another service has this name."))
    service.save()
    record(
        actor,
        AuditAction.CREATE if creating else AuditAction.UPDATE,
        service,
        summary=f"online service {service.name}",
        changes=changed,
        channel=channel,
    )
    return service


def cutoff_hours(service: OnlineService | None, settings: OnlineBookingSettings) -> int:
    if service is not None and service.cutoff_hours is not None:
        return service.cutoff_hours
    return settings.cutoff_hours


def policy_text(service: OnlineService, settings: OnlineBookingSettings) -> str:
    return service.policy_text or settings.policy_text
