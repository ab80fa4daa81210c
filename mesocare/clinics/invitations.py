"""Staff invitations: how a person joins an organization.

An administrator invites an email address with a role. Whether that address already has an
account (here or in another organization) changes nothing the administrator sees: the answer
is always "invitation sent", and the invitee decides by following the emailed link — a new
person chooses a name and password, an existing user signs in first. Nothing of any other
organization is shown to either side. Links are single-use, expire after
MESOCARE_INVITATION_DAYS and can be revoked; only the SHA-256 of their token is stored.
Every step is audited in the inviting organization."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.accounts.models import User
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.choices import InvitationStatus, Role
from mesocare.clinics.models import Invitation, Location, Membership
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Conflict, Invalid

log = logging.getLogger(__name__)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def accept_url(token: str) -> str:
    return f"{settings.SITE_URL}/invitations/{token}"


def _send(invitation: Invitation, token: str) -> None:
    context = {
        "organization": invitation.organization.name,
        "role": invitation.get_role_display(),
        "url": accept_url(token),
        "expires_at": invitation.expires_at,
    }
    try:
        send_mail(
            render_to_string("clinics/invitation_subject.txt", context).strip(),
            render_to_string("clinics/invitation_email.txt", context),
            None,
            [invitation.email],
        )
    except OSError:
        # The invitation stays pending; the administrator can invite again to resend.
        log.exception("invitation %s: the email could not be sent", invitation.pk)


@transaction.atomic
def invite(
    actor: Actor,
    *,
    email: str,
    role: str,
    title: str = "",
    default_location_id: int | None = None,
    channel: str = "web",
) -> Invitation:
    """Create an invitation and email its link (after commit). Inviting the same address again
    replaces its pending invitation (a new link; the old one stops working)."""
    actor.require(Perm.STAFF_MANAGE)
    if role not in Role.values:
        raise Invalid.field("role", _("Role must be one of %s.") % ", ".join(Role.values))
    email = email.strip().lower()
    if Membership.objects.for_org(actor.org_id).filter(user__email=email).exists():
        raise Conflict("already_member", _("%s is already a member of this organization.") % email)
    location = (
        get_for_org(Location, actor.org_id, default_location_id) if default_location_id else None
    )
    now = timezone.now()
    replaced = Invitation.objects.for_org(actor.org_id).filter(
        email=email, accepted_at=None, revoked_at=None
    )
    for old in replaced.select_for_update():
        _revoke(actor, old, now, channel, summary=f"invitation for {email} replaced")
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization_id=actor.org_id,
        email=email,
        role=role,
        title=title,
        default_location=location,
        invited_by=actor.user,
        token_hash=_hash(token),
        expires_at=now + dt.timedelta(days=settings.MESOCARE_INVITATION_DAYS),
    )
    record(
        actor,
        AuditAction.CREATE,
        invitation,
        summary=f"invited {email} as {role}",
        changes={"email": email, "role": role, "title": title, "default_location": location},
        channel=channel,
    )
    transaction.on_commit(lambda: _send(invitation, token))
    return invitation


def _revoke(
    actor: Actor, invitation: Invitation, now: dt.datetime, channel: str, summary: str
) -> None:
    invitation.revoked_at = now
    invitation.save(update_fields=["revoked_at"])
    record(actor, AuditAction.DELETE, invitation, summary=summary, channel=channel)


@transaction.atomic
def revoke(actor: Actor, invitation: Invitation, *, channel: str = "web") -> Invitation:
    actor.require(Perm.STAFF_MANAGE)
    now = timezone.now()
    if invitation.status_at(now) != InvitationStatus.PENDING:
        raise Conflict("not_pending", _("Only a pending invitation can be revoked."))
    _revoke(actor, invitation, now, channel, summary=f"invitation for {invitation.email} revoked")
    return invitation


def list_invitations(actor: Actor, *, pending_only: bool = False) -> list[Invitation]:
    actor.require(Perm.STAFF_MANAGE)
    qs = Invitation.objects.for_org(actor.org_id).select_related("invited_by", "default_location")
    if pending_only:
        qs = qs.filter(accepted_at=None, revoked_at=None, expires_at__gt=timezone.now())
    return list(qs)


def pending(token: str) -> Invitation | None:
    """The pending invitation a link stands for, or None (unknown, used, revoked, expired)."""
    invitation = (
        Invitation.objects.select_related("organization").filter(token_hash=_hash(token)).first()
    )
    if invitation is None or invitation.status_at(timezone.now()) != InvitationStatus.PENDING:
        return None
    return invitation


def _gone() -> Conflict:
    return Conflict("invitation_gone", _("This invitation link is no longer valid."))


def _join(invitation: Invitation, user: User, ip: str | None) -> Membership:
    membership, created = Membership.objects.get_or_create(
        user=user,
        organization_id=invitation.organization_id,
        defaults={
            "role": invitation.role,
            "title": invitation.title,
            "default_location": invitation.default_location,
        },
    )
    if not created:
        membership.role, membership.is_active = invitation.role, True
        membership.save(update_fields=["role", "is_active"])
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at"])
    actor = Actor(membership=membership, ip=ip)
    record(
        actor,
        AuditAction.CREATE if created else AuditAction.UPDATE,
        membership,
        summary=f"{user.email} joined as {invitation.role} (invitation {invitation.pk})",
        channel="web",
    )
    record(actor, AuditAction.UPDATE, invitation, summary=f"invitation accepted by {user.email}")
    return membership


def _locked(token: str) -> Invitation:
    invitation = Invitation.objects.select_for_update().filter(token_hash=_hash(token)).first()
    if invitation is None or invitation.status_at(timezone.now()) != InvitationStatus.PENDING:
        raise _gone()
    return invitation


@transaction.atomic
def accept_as_new_user(
    token: str, *, full_name: str, password: str, ip: str | None = None
) -> Membership:
    """The invitee has no account: create it with their name and password."""
    invitation = _locked(token)
    if User.objects.filter(email=invitation.email).exists():
        raise Conflict("sign_in_to_accept", _("Sign in with your account to accept."))
    user = User(email=invitation.email, full_name=full_name.strip())
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise Invalid.field("password", " ".join(exc.messages)) from exc
    if not user.full_name:
        raise Invalid.field("full_name", _("Enter your name."))
    user.set_password(password)
    user.save()
    return _join(invitation, user, ip)


@transaction.atomic
def accept_as_user(token: str, user: User, *, ip: str | None = None) -> Membership:
    """A signed-in user accepts an invitation sent to their own email address."""
    invitation = _locked(token)
    if user.email.lower() != invitation.email:
        raise Conflict("wrong_account", _("This invitation was sent to another email address."))
    return _join(invitation, user, ip)
