"""Password reset by email: rate-limited, single-use, audited.

What a requester sees never depends on whether the email has an account. `accept` (rate
limits, then one row counted) does the same work for every address; `deliver` — finding the
account, auditing the request, making the link and sending it — runs after the response has
reached the client, so neither the page nor its timing tells an attacker which addresses exist.

Links are Django's `PasswordResetTokenGenerator` tokens: an HMAC over the user's password hash,
last sign-in and email, valid for PASSWORD_RESET_TIMEOUT. Setting the new password changes the
hash, so a link works once; it also changes the session hash, which ends every other session of
the user. A reset sets the password only: the second factor is still asked at the next sign-in.

Audit events go to each organization the user is a member of (an account belongs to no
organization of its own): "password_reset" CREATE when a link is sent, accounts.user UPDATE
when the password is set, LOGIN_FAILED when a used, expired or altered link is refused."""

from __future__ import annotations

import datetime as dt
import logging

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.crypto import salted_hmac
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from mesocare.accounts.models import User
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.password_reset.models import ResetRequest

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(hours=1)
OBJECT_TYPE = "password_reset"


def normalize(email: str) -> str:
    return email.strip().lower()


def _digest(email: str) -> str:
    return salted_hmac("mesocare.password_reset", normalize(email)).hexdigest()


@transaction.atomic
def accept(email: str, ip: str | None) -> bool:
    """Count a request against the limits; False when one of them is reached (the request is
    then not counted, so waiting out the hour always works)."""
    now = timezone.now()
    since = now - WINDOW
    ResetRequest.objects.filter(at__lt=since).delete()
    digest = _digest(email)
    recent = ResetRequest.objects.filter(at__gte=since)
    if recent.filter(email_digest=digest).count() >= settings.MESOCARE_RESET_LIMIT_PER_EMAIL:
        return False
    if ip is not None and recent.filter(ip=ip).count() >= settings.MESOCARE_RESET_LIMIT_PER_ADDRESS:
        return False
    ResetRequest.objects.create(email_digest=digest, ip=ip, at=now)
    return True


def _actors(user: User, ip: str | None) -> list[Actor]:
    memberships = Membership.objects.select_related("organization", "user").filter(user=user)
    return [Actor(membership=m, ip=ip) for m in memberships]


def _audit(
    user: User,
    ip: str | None,
    action: AuditAction,
    summary: str,
    *,
    changes: dict[str, str] | None = None,
) -> None:
    actors = _actors(user, ip)
    if not actors:
        log.warning("password reset of user %s, no organization to audit in: %s", user.pk, summary)
    for actor in actors:
        record(
            actor,
            action,
            object_type=OBJECT_TYPE if changes is None else "accounts.user",
            object_id=str(user.pk),
            summary=summary,
            changes=changes,
            channel="web",
        )


def link_for(user: User) -> str:
    uidb64 = urlsafe_base64_encode(force_bytes(user.pk))
    token = default_token_generator.make_token(user)
    path = reverse("web:password-reset-confirm", kwargs={"uidb64": uidb64, "token": token})
    # SITE_URL, never the request's Host header: a forged Host cannot redirect the link.
    return f"{settings.SITE_URL}{path}"


def _send(user: User, url: str) -> None:
    context = {"url": url, "minutes": settings.PASSWORD_RESET_TIMEOUT // 60, "email": user.email}
    with translation.override(user.language or settings.LANGUAGE_CODE):
        subject = render_to_string("password_reset/subject.txt", context).strip()
        body = render_to_string("password_reset/email.txt", context)
    send_mail(subject, body, None, [user.email])


def deliver(email: str, ip: str | None) -> int:
    """Email a reset link to the active account with this address, if there is one (run after
    the response). Returns how many emails were sent."""
    users = [
        user
        for user in User.objects.filter(email__iexact=normalize(email), is_active=True)
        if user.has_usable_password()
    ]
    for user in users:
        with transaction.atomic():
            _audit(
                user,
                ip,
                AuditAction.CREATE,
                f"password reset link emailed to {user.email}",
            )
        try:
            _send(user, link_for(user))
        except OSError:
            # Audited as requested; the person can ask again once the mail server answers.
            log.exception("password reset for user %s: the email could not be sent", user.pk)
    return len(users)


@transaction.atomic
def completed(user: User, ip: str | None) -> None:
    """The password was set through a valid link (audit; the link is spent by the change)."""
    _audit(
        user,
        ip,
        AuditAction.UPDATE,
        f"password of {user.email} reset by emailed link",
        changes={"password": "reset by emailed link"},
    )


@transaction.atomic
def refused(user: User, ip: str | None) -> None:
    """A link for this user that is used, expired or altered was opened."""
    _audit(
        user,
        ip,
        AuditAction.LOGIN_FAILED,
        f"refused a used, expired or invalid password reset link for {user.email}",
    )
