"""Portal accounts: sign-in by emailed link, optional password, optional TOTP second factor.

- A sign-in link is 32 random bytes (URL-safe); only its SHA-256 is stored. It works once, for
  `PORTAL_MAGIC_LINK_MINUTES` (15), and is spent in the same transaction that checks it, so two
  clicks racing each other sign in once.
- Requests are rate-limited per address (links made in the last 15 minutes) and per IP (a
  counter in Django's cache). What the requester sees never depends on whether the address has
  an account.
- Passwords are Django password hashes (argon2 in this project). A confirmed TOTP device
  (django-otp's RFC 6238 implementation) is asked after every way in, the link included.
- Every sign-in, refusal and change is written to the organization's audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from binascii import unhexlify

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.cache import cache
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.util import random_hex

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record_by_portal_account
from mesocare.errors import Conflict, DomainError, Invalid, NotFound
from mesocare.patients.choices import ConsentKind
from mesocare.patients.models import Consent, Patient
from mesocare.portal.choices import AccessRelation
from mesocare.portal.models import MagicLink, PortalAccess, PortalAccount, PortalTotp

log = logging.getLogger(__name__)

LINK_LIFETIME = dt.timedelta(minutes=15)
LINKS_PER_ACCOUNT = 3  # in LINK_LIFETIME
REQUESTS_PER_IP = 10  # in LINK_LIFETIME
FAILED_CODES_LIMIT = 5  # password or TOTP failures per account in LINK_LIFETIME
MIN_PASSWORD_LENGTH = 10


class SignInRefused(DomainError):
    """A sign-in link or code was refused; `reason` says why in a word the page can explain."""

    status = 400

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(f"sign_in_{reason}", message)
        self.reason = reason
        self.account: PortalAccount | None = None


def normalize_email(email: str) -> str:
    return email.strip().lower()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def audit(
    account: PortalAccount,
    action: str,
    summary: str,
    *,
    obj_type: str = "portal.portalaccount",
    obj_id: str = "",
    patient_id: int | None = None,
    ip: str | None = None,
    changes: dict[str, object] | None = None,
) -> None:
    """An audit event by a portal account (no staff user: the label names the account)."""
    record_by_portal_account(
        account.organization_id,
        account.email,
        action,
        object_type=obj_type,
        object_id=obj_id or str(account.pk),
        patient_id=patient_id,
        summary=summary,
        changes=changes,
        ip=ip,
    )


# --- accounts --------------------------------------------------------------------------------


@transaction.atomic
def ensure_account(patient: Patient) -> PortalAccount:
    """The portal account for this patient's email, with access to their own record (made on
    first use). A patient without an email gets no account."""
    email = normalize_email(patient.email)
    if not email:
        raise Invalid.field("email", _("The patient has no email address."))
    account, _created = PortalAccount.objects.get_or_create(
        organization_id=patient.organization_id, email=email
    )
    PortalAccess.objects.get_or_create(
        organization_id=patient.organization_id,
        account=account,
        patient=patient,
        defaults={"relation": AccessRelation.SELF},
    )
    return account


@transaction.atomic
def grant_guardian_access(minor: Patient, guardian_email: str) -> PortalAccess:
    """Let the account of `guardian_email` open a minor's record. Needs a signed, not
    withdrawn guardian consent on the minor's record (the same consent records staff keep)."""
    today = timezone.localdate()
    if minor.age_on(today) >= 18:
        raise Invalid.field("patient", _("Guardian access is for patients under 18."))
    consent = (
        Consent.objects.for_org(minor.organization_id)
        .filter(patient=minor, kind=ConsentKind.GUARDIAN, withdrawn_on__isnull=True)
        .order_by("-signed_on", "-id")
        .first()
    )
    if consent is None:
        raise Conflict(
            "guardian_consent_missing",
            _("Record a guardian consent for this patient first."),
        )
    email = normalize_email(guardian_email)
    if not email:
        raise Invalid.field("email", _("Enter the guardian's email address."))
    account, _created = PortalAccount.objects.get_or_create(
        organization_id=minor.organization_id, email=email
    )
    access, created = PortalAccess.objects.get_or_create(
        organization_id=minor.organization_id,
        account=account,
        patient=minor,
        defaults={"relation": AccessRelation.GUARDIAN, "guardian_consent": consent},
    )
    if created:
        audit(
            account,
            AuditAction.CREATE,
            f"guardian access to patient {minor.pk}",
            obj_type="portal.portalaccess",
            obj_id=str(access.pk),
            patient_id=minor.pk,
        )
    return access


def _open_accounts_on_first_use(email: str) -> None:
    """A patient whose record has this email gets an account on their first request, in each
    organization where exactly one adult patient has it and no account exists yet (a shared
    family address is left to the clinic; minors are reached through a guardian)."""
    if not email:
        return
    taken = set(PortalAccount.objects.filter(email=email).values_list("organization_id", flat=True))
    today = timezone.localdate()
    by_org: dict[int, list[Patient]] = {}
    for patient in Patient.objects.filter(email__iexact=email, is_active=True).exclude(
        organization_id__in=taken
    ):
        by_org.setdefault(patient.organization_id, []).append(patient)
    for patients in by_org.values():
        adults = [p for p in patients if p.age_on(today) >= 18]
        if len(patients) == 1 and len(adults) == 1:
            ensure_account(adults[0])


# --- rate limits -----------------------------------------------------------------------------


def _hit(bucket: str, limit: int) -> bool:
    """Count one attempt in `bucket`; False once `limit` attempts were made this window."""
    key = f"mesocare.portal.rl.{hashlib.sha256(bucket.encode()).hexdigest()}"
    cache.add(key, 0, timeout=int(LINK_LIFETIME.total_seconds()))
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=int(LINK_LIFETIME.total_seconds()))
        count = 1
    return count <= limit


def _failures_left(account: PortalAccount) -> bool:
    key = f"mesocare.portal.fail.{account.pk}"
    return int(cache.get(key, 0)) < FAILED_CODES_LIMIT


def _count_failure(account: PortalAccount) -> None:
    key = f"mesocare.portal.fail.{account.pk}"
    cache.add(key, 0, timeout=int(LINK_LIFETIME.total_seconds()))
    try:
        cache.incr(key)
    except ValueError:
        cache.set(key, 1, timeout=int(LINK_LIFETIME.total_seconds()))


# --- sign-in links ---------------------------------------------------------------------------


def magic_link_url(token: str) -> str:
    # SITE_URL, never the request's Host header: a forged Host cannot redirect the link.
    return settings.SITE_URL + reverse("portal:magic_link", args=[token])


def request_magic_link(email: str, ip: str | None) -> int:
    """Email a sign-in link to every active account with this address (one per organization).
    Returns how many were sent; the caller shows the same page whatever the number."""
    email = normalize_email(email)
    if ip is not None and not _hit(f"ip:{ip}", REQUESTS_PER_IP):
        return 0
    sent = 0
    _open_accounts_on_first_use(email)
    accounts = PortalAccount.objects.filter(email=email, is_active=True).select_related(
        "organization"
    )
    for account in accounts:
        token = _make_link(account, ip)
        if token is None:
            continue
        try:
            _send_link(account, token)
            sent += 1
        except OSError:
            log.exception("portal sign-in link for account %s could not be sent", account.pk)
    return sent


@transaction.atomic
def _make_link(account: PortalAccount, ip: str | None) -> str | None:
    now = timezone.now()
    recent = MagicLink.objects.filter(account=account, created_at__gte=now - LINK_LIFETIME)
    if recent.count() >= LINKS_PER_ACCOUNT:
        audit(account, AuditAction.LOGIN_FAILED, "sign-in link refused: too many requests", ip=ip)
        return None
    token = secrets.token_urlsafe(32)
    MagicLink.objects.create(
        organization_id=account.organization_id,
        account=account,
        token_hash=token_hash(token),
        expires_at=now + LINK_LIFETIME,
        requested_ip=ip,
    )
    audit(account, AuditAction.CREATE, "sign-in link emailed", ip=ip)
    return token


def _send_link(account: PortalAccount, token: str) -> None:
    context = {
        "url": magic_link_url(token),
        "minutes": int(LINK_LIFETIME.total_seconds() // 60),
        "clinic": account.organization.name,
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_to_string("portal/account/email_subject.txt", context).strip()
        body = render_to_string("portal/account/email.txt", context)
    send_mail(subject, body, None, [account.email])


def consume_magic_link(token: str, ip: str | None) -> PortalAccount:
    """The account a sign-in link belongs to; the link is spent. Raises SignInRefused
    ("invalid", "used" or "expired", with `.account` when the link was found) before writing
    anything; `refused_link` audits the refusal.

    Runs inside the caller's transaction, which also starts the session (`signed_in`), so a
    link is spent if and only if the sign-in happened."""
    invalid = SignInRefused("invalid", _("This sign-in link is not valid."))
    if not token or len(token) > 100:
        raise invalid
    link = (
        MagicLink.objects.select_for_update(of=("self",))
        .select_related("account__organization", "account__totp")
        .filter(token_hash=token_hash(token))
        .first()
    )
    if link is None or not link.account.is_active:
        raise invalid
    refusal: SignInRefused | None = None
    if link.used_at is not None:
        refusal = SignInRefused("used", _("This sign-in link was already used."))
    elif link.expires_at <= timezone.now():
        refusal = SignInRefused("expired", _("This sign-in link has expired."))
    if refusal is not None:
        refusal.account = link.account
        raise refusal
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    return link.account


@transaction.atomic
def refused_link(refusal: SignInRefused, ip: str | None) -> None:
    if refusal.account is not None:
        audit(refusal.account, AuditAction.LOGIN_FAILED, f"sign-in link {refusal.reason}", ip=ip)


def signed_in(account: PortalAccount, method: str, ip: str | None) -> None:
    """Record a completed sign-in (after any second factor), in the caller's transaction."""
    account.last_sign_in_at = timezone.now()
    account.save(update_fields=["last_sign_in_at"])
    audit(account, AuditAction.LOGIN, f"portal sign-in ({method})", ip=ip)


# --- password --------------------------------------------------------------------------------


@transaction.atomic
def set_password(account: PortalAccount, raw: str, ip: str | None) -> None:
    if len(raw) < MIN_PASSWORD_LENGTH:
        raise Invalid.field(
            "password",
            _("Use at least %(n)d characters.") % {"n": MIN_PASSWORD_LENGTH},
        )
    account.password = make_password(raw)
    account.save(update_fields=["password"])
    audit(account, AuditAction.UPDATE, "portal password set", ip=ip, changes={"password": "set"})


def authenticate_password(email: str, raw: str, ip: str | None) -> PortalAccount:
    """The active account with this address and password, or SignInRefused("invalid")."""
    refused = SignInRefused("invalid", _("The email or password is not right."))
    if ip is not None and not _hit(f"pw-ip:{ip}", REQUESTS_PER_IP * 3):
        raise SignInRefused("limited", _("Too many attempts. Try again in 15 minutes."))
    accounts = PortalAccount.objects.filter(email=normalize_email(email), is_active=True)
    for account in accounts:
        if not account.password:
            continue
        if not _failures_left(account):
            raise SignInRefused("limited", _("Too many attempts. Try again in 15 minutes."))
        if check_password(raw, account.password):
            return account
        _count_failure(account)
        with transaction.atomic():
            audit(account, AuditAction.LOGIN_FAILED, "wrong portal password", ip=ip)
    raise refused


# --- TOTP second factor ----------------------------------------------------------------------


def _totp(device: PortalTotp) -> TOTP:
    return TOTP(unhexlify(device.key.encode()), step=30, t0=0, digits=6, drift=0)


def totp_uri(device: PortalTotp) -> str:
    from base64 import b32encode
    from urllib.parse import quote, urlencode

    secret = b32encode(unhexlify(device.key.encode())).decode().rstrip("=")
    issuer = f"{settings.OTP_TOTP_ISSUER} {device.account.organization.name}"
    label = quote(f"{issuer}:{device.account.email}")
    return f"otpauth://totp/{label}?" + urlencode({"secret": secret, "issuer": issuer})


@transaction.atomic
def start_totp(account: PortalAccount) -> PortalTotp:
    """A new, unconfirmed authenticator key (replaces an unconfirmed one)."""
    existing = PortalTotp.objects.select_for_update().filter(account=account).first()
    if existing is not None and existing.confirmed:
        raise Conflict("totp_enrolled", _("An authenticator app is already set up."))
    if existing is not None:
        existing.delete()
    return PortalTotp.objects.create(
        organization_id=account.organization_id, account=account, key=random_hex(20)
    )


def _check_code(device: PortalTotp, code: str) -> bool:
    code = "".join(code.split())
    if not code.isdigit() or len(code) != 6:
        return False
    totp = _totp(device)
    for offset in (0, -1, 1):  # one step of clock drift either way
        totp.drift = offset
        if totp.t() > device.last_t and secrets.compare_digest(f"{totp.token():06d}", code):
            device.last_t = totp.t()
            device.save(update_fields=["last_t"])
            return True
    return False


@transaction.atomic
def confirm_totp(account: PortalAccount, code: str, ip: str | None) -> None:
    device = PortalTotp.objects.select_for_update().filter(account=account).first()
    if device is None:
        raise NotFound("not_found", _("Start setting up the authenticator app first."))
    if not _check_code(device, code):
        raise Invalid.field("code", _("That code is not right. Enter the current 6 digits."))
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    audit(account, AuditAction.UPDATE, "portal second factor set up", ip=ip)


def verify_second_factor(account: PortalAccount, code: str, ip: str | None) -> None:
    """Check a TOTP code at sign-in; SignInRefused when wrong, used before, or too many tries."""
    with transaction.atomic():
        device = (
            PortalTotp.objects.select_for_update().filter(account=account, confirmed=True).first()
        )
        if device is None:
            return
        if not _failures_left(account):
            raise SignInRefused("limited", _("Too many attempts. Try again in 15 minutes."))
        if _check_code(device, code):
            return
    _count_failure(account)
    with transaction.atomic():
        audit(account, AuditAction.LOGIN_FAILED, "wrong portal second-factor code", ip=ip)
    raise SignInRefused("code", _("That code is not right. Enter the current 6 digits."))


def has_second_factor(account: PortalAccount) -> bool:
    return PortalTotp.objects.filter(account=account, confirmed=True).exists()
