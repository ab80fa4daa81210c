"""The second factor (TOTP): which sessions must still verify, enrolment and the resets.

A password alone never turns into a verified session: a user whose authenticator is confirmed
replaces it only from a session already verified with it, or after an administrator (or, on the
server, an operator) resets it; every change is audited. Enrolment keeps the new secret out of
the database until the user proves, with a code, that the app holds it; only then is the device
created, confirmed, and the old one gone.
"""

from __future__ import annotations

import re
import time
from binascii import unhexlify
from enum import StrEnum

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from django_otp import user_has_device
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from mesocare.accounts.models import User
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record, record_system
from mesocare.clinics.actor import Actor
from mesocare.clinics.choices import Role
from mesocare.clinics.models import Membership
from mesocare.clinics.permissions import ROLE_PERMISSIONS, Perm
from mesocare.errors import Conflict, Forbidden, Invalid, NotFound

DEVICE_NAME = "authenticator"
_STAFF_MANAGERS = [role for role in Role if Perm.STAFF_MANAGE in ROLE_PERMISSIONS[role]]
_KEY = re.compile(r"[0-9a-f]{40}")


class Missing(StrEnum):
    """What a signed-in session lacks before it may act."""

    VERIFY = "verify"  # the user has an authenticator; this session has not used it
    ENROL = "enrol"  # an administrator while two-factor sign-in is required, without one


def missing_factor(user: User, role: str, *, verified: bool) -> Missing | None:
    if verified:
        return None
    if user_has_device(user, confirmed=True):
        return Missing.VERIFY
    if settings.MESOCARE_REQUIRE_2FA and role == Role.ADMIN:
        return Missing.ENROL
    return None


def new_secret() -> str:
    """A fresh TOTP secret (40 hex digits) for the set-up page to keep in the session."""
    return str(random_hex(20))


def provisioning_url(user: User, secret: str) -> str:
    """The otpauth:// URL (QR code) for `secret`; nothing is stored."""
    return str(TOTPDevice(user=user, key=secret, name=DEVICE_NAME).config_url)


def _time_step(secret: str, code: str) -> int | None:
    """The time step `code` belongs to (one step of clock drift either way), or None."""
    code = code.strip()
    if not _KEY.fullmatch(secret) or not code.isdigit():
        return None
    device = TOTPDevice(key=secret)  # unsaved: only its defaults (step, digits, tolerance)
    totp = TOTP(unhexlify(secret), device.step, device.t0, device.digits, 0)
    totp.time = time.time()
    if not totp.verify(int(code), device.tolerance):
        return None
    return int(totp.t())


@transaction.atomic
def enrol(actor: Actor, *, secret: str, code: str, verified: bool) -> TOTPDevice:
    """Confirm the authenticator holding `secret` with one of its codes; it replaces any device
    the user had. `verified`: this session has passed the second factor. Raises Forbidden
    (second_factor_required) when a confirmed device exists and the session has not used it,
    Invalid (token) for a wrong code."""
    user = actor.user
    # Locks the user's devices so two enrolments cannot both replace the same one.
    existing = list(TOTPDevice.objects.select_for_update().filter(user=user))
    replaced = [device.pk for device in existing if device.confirmed]
    if replaced and not verified:
        raise Forbidden(
            "second_factor_required",
            _("Verify with your current authenticator before replacing it."),
        )
    step = _time_step(secret, code)
    if step is None:
        raise Invalid.field("token", _("That code is not valid. Check your device's clock."))
    TOTPDevice.objects.filter(pk__in=[device.pk for device in existing]).delete()
    # last_t: the code just used cannot be replayed to verify a session.
    device = TOTPDevice.objects.create(
        user=user, name=DEVICE_NAME, key=secret, confirmed=True, last_t=step
    )
    record(
        actor,
        AuditAction.UPDATE if replaced else AuditAction.CREATE,
        device,
        summary=("Authenticator replaced" if replaced else "Two-factor sign-in turned on")
        + f" for {user.email}",
        changes={"replaced_devices": [replaced, []]} if replaced else {},
        channel="web",
    )
    return device


@transaction.atomic
def reset(actor: Actor, membership_id: int, *, channel: str = "web") -> Membership:
    """An administrator removes a member's authenticators (lost phone): the member signs in with
    the password and sets up a new one. The authenticator is the person's, not the membership's,
    so an administrator may reset it only when every organization the person works in is one
    where the administrator manages staff too; otherwise an operator does it
    (`reset_two_factor` command), so one clinic cannot weaken another's sign-in."""
    actor.require(Perm.STAFF_MANAGE)
    membership = (
        Membership.objects.select_related("user")
        .filter(organization_id=actor.org_id, pk=membership_id)
        .first()
    )
    if membership is None:
        raise NotFound("not_found", _("No such staff member."))
    managed = Membership.objects.filter(
        user=actor.user, is_active=True, role__in=_STAFF_MANAGERS
    ).values("organization_id")
    if (
        Membership.objects.filter(user=membership.user, is_active=True)
        .exclude(organization_id__in=managed)
        .exists()
    ):
        raise Forbidden(
            "reset_by_operator",
            _("This authenticator cannot be reset from this organization; an operator can."),
        )
    devices = TOTPDevice.objects.select_for_update().filter(user=membership.user)
    confirmed = [device.pk for device in devices if device.confirmed]
    if not confirmed:
        raise Conflict(
            "no_second_factor",
            _("%(email)s has no authenticator to reset.") % {"email": membership.user.email},
        )
    devices.delete()
    record(
        actor,
        AuditAction.DELETE,
        membership.user,
        summary=f"Two-factor sign-in reset for {membership.user.email}",
        changes={"devices": [confirmed, []]},
        channel=channel,
    )
    return membership


@transaction.atomic
def reset_by_operator(email: str) -> list[int]:
    """The operator's reset (command line; a sole administrator who lost the phone): removes the
    person's authenticators and records it in the audit trail of each of their organizations.
    Returns the removed device ids (empty: nothing to reset)."""
    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise NotFound("not_found", _("No user with this email."))
    devices = TOTPDevice.objects.select_for_update().filter(user=user)
    removed = [device.pk for device in devices]
    if not removed:
        return []
    devices.delete()
    for organization_id in Membership.objects.filter(user=user).values_list(
        "organization_id", flat=True
    ):
        record_system(
            organization_id,
            AuditAction.DELETE,
            user,
            summary=f"Two-factor sign-in reset for {user.email} by an operator (command line)",
            changes={"devices": [removed, []]},
        )
    return removed


def members_with_factor(actor: Actor) -> set[int]:
    """User ids of this organization's members who have a confirmed authenticator."""
    return set(
        TOTPDevice.objects.filter(
            confirmed=True,
            user__memberships__organization_id=actor.org_id,
        ).values_list("user_id", flat=True)
    )
