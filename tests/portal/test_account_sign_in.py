"""Portal account sign-in: emailed single-use links (hashed at rest, 15 minutes, rate-limited),
password, TOTP second factor on every way in, and the signed-in session."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from binascii import unhexlify
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import TOTP

from mesocare.audit.models import AuditEvent
from mesocare.portal import accounts
from mesocare.portal.models import MagicLink, PortalAccount, PortalTotp
from mesocare.portal.session import SESSION_KEY

LINK = re.compile(r"https?://\S+/p/sign-in/link/(\S+)")


@pytest.fixture(autouse=True)
def _clear_rate_limits(settings: Any) -> Any:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://clinic.example"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def patient(make: Any) -> Any:
    return make.patient(email="Anna@Example.org")


@pytest.fixture
def account(patient: Any) -> PortalAccount:
    return accounts.ensure_account(patient)


def request_link(client: Client, email: str) -> str:
    mail.outbox.clear()
    response = client.post(reverse("portal:sign_in"), {"email": email})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert len(mail.outbox) == 1, "one link email"
    match = LINK.search(mail.outbox[0].body)
    assert match
    return match.group(1)


def test_magic_link_signs_in_once_and_is_stored_hashed(client: Client, account: Any) -> None:
    token = request_link(client, "anna@example.org")
    link = MagicLink.objects.get(account=account)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert token not in str(MagicLink.objects.values().get())
    url = reverse("portal:magic_link", args=[token])

    # GET (a mail scanner opening the link) does not spend it.
    assert client.get(url).status_code == 200
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    assert client.session[SESSION_KEY]["account"] == account.pk
    assert AuditEvent.objects.filter(action="login", actor_label="portal:anna@example.org").exists()

    # Reused → clear message, 410, no new session.
    other = Client()
    reused = other.post(url)
    assert reused.status_code == 410
    assert "already used" in reused.content.decode()
    assert SESSION_KEY not in other.session


def test_expired_and_tampered_links_are_refused(client: Client, account: Any) -> None:
    token = request_link(client, "anna@example.org")
    MagicLink.objects.filter(account=account).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    expired = client.post(reverse("portal:magic_link", args=[token]))
    assert expired.status_code == 410
    assert "expired" in expired.content.decode()
    tampered = client.post(reverse("portal:magic_link", args=[token[:-2] + "xx"]))
    assert tampered.status_code == 404
    assert "not valid" in tampered.content.decode()
    assert SESSION_KEY not in client.session
    assert MagicLink.objects.get(account=account).used_at is None


def test_unknown_address_gets_the_same_page_and_no_email(client: Client, account: Any) -> None:
    response = client.post(reverse("portal:sign_in"), {"email": "nobody@example.org"})
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    assert mail.outbox == []


def test_links_are_rate_limited_per_address(client: Client, account: Any) -> None:
    for _ in range(accounts.LINKS_PER_ACCOUNT):
        request_link(client, "anna@example.org")
    mail.outbox.clear()
    response = client.post(reverse("portal:sign_in"), {"email": "anna@example.org"})
    assert response.status_code == 200  # the same page: nothing to learn
    assert mail.outbox == []
    assert MagicLink.objects.filter(account=account).count() == accounts.LINKS_PER_ACCOUNT


def test_links_are_rate_limited_per_ip(client: Client, make: Any) -> None:
    for i in range(accounts.REQUESTS_PER_IP + 2):
        accounts.ensure_account(make.patient(email=f"p{i}@example.org", family_name=f"X{i}"))
    sent = [
        accounts.request_magic_link(f"p{i}@example.org", "203.0.113.9")
        for i in range(accounts.REQUESTS_PER_IP + 2)
    ]
    assert sent == [1] * accounts.REQUESTS_PER_IP + [0, 0]


def test_malformed_email_re_renders_with_field_message(client: Client) -> None:
    response = client.post(reverse("portal:sign_in"), {"email": "not-an-email"})
    assert response.status_code == 422
    assert 'class="field has-error"' in response.content.decode()
    assert mail.outbox == []


def test_password_sign_in_and_wrong_password(client: Client, account: Any) -> None:
    accounts.set_password(account, "correct horse battery", None)
    wrong = client.post(
        reverse("portal:sign_in"), {"email": "anna@example.org", "password": "nope nope nope"}
    )
    assert wrong.status_code == 422
    assert "not right" in wrong.content.decode()
    assert SESSION_KEY not in client.session
    ok = client.post(
        reverse("portal:sign_in"),
        {"email": "ANNA@example.org", "password": "correct horse battery"},
    )
    assert ok.status_code == 302
    assert client.session[SESSION_KEY]["method"] == "password"


def test_password_attempts_are_limited(client: Client, account: Any) -> None:
    accounts.set_password(account, "correct horse battery", None)
    for _ in range(accounts.FAILED_CODES_LIMIT):
        with pytest.raises(accounts.SignInRefused):
            accounts.authenticate_password("anna@example.org", "wrong password!", None)
    with pytest.raises(accounts.SignInRefused) as refused:
        accounts.authenticate_password("anna@example.org", "correct horse battery", None)
    assert refused.value.reason == "limited"


def test_short_password_is_refused(account: Any) -> None:
    with pytest.raises(accounts.Invalid):
        accounts.set_password(account, "short", None)
    account.refresh_from_db()
    assert account.password == ""


def _code(device: PortalTotp, step_offset: int = 0) -> str:
    totp = TOTP(unhexlify(device.key.encode()), step=30, t0=0, digits=6, drift=step_offset)
    return f"{totp.token():06d}"


def test_second_factor_guards_the_magic_link_and_the_password(client: Client, account: Any) -> None:
    device = accounts.start_totp(account)
    accounts.confirm_totp(account, _code(device), None)
    device.refresh_from_db()
    assert device.confirmed

    token = request_link(client, "anna@example.org")
    response = client.post(reverse("portal:magic_link", args=[token]))
    assert response["Location"] == reverse("portal:second_factor")
    # Not signed in yet: the home page sends to the code page.
    home = client.get(reverse("portal:home"))
    assert home.status_code == 302 and reverse("portal:second_factor") in home["Location"]

    wrong = client.post(reverse("portal:second_factor"), {"code": "000000"})
    assert wrong.status_code == 422
    # The code that confirmed the device cannot be used again (same time step).
    replay = client.post(reverse("portal:second_factor"), {"code": _code(device)})
    assert replay.status_code == 422
    ok = client.post(reverse("portal:second_factor"), {"code": _code(device, 1)})
    assert ok.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200

    accounts.set_password(account, "correct horse battery", None)
    other = Client()
    by_password = other.post(
        reverse("portal:sign_in"),
        {"email": "anna@example.org", "password": "correct horse battery"},
    )
    assert by_password["Location"] == reverse("portal:second_factor")
    assert other.get(reverse("portal:home")).status_code == 302


def test_security_page_sets_password_and_starts_totp(client: Client, account: Any) -> None:
    token = request_link(client, "anna@example.org")
    client.post(reverse("portal:magic_link", args=[token]))
    page = client.get(reverse("portal:security"))
    assert page.status_code == 200
    short = client.post(reverse("portal:security"), {"action": "password", "password": "abc"})
    assert "at least 10" in short.content.decode()
    client.post(reverse("portal:security"), {"action": "password", "password": "a long password"})
    account.refresh_from_db()
    assert account.password.startswith(("argon2", "md5", "pbkdf2"))
    started = client.post(reverse("portal:security"), {"action": "totp_start"})
    assert "<svg" in started.content.decode()
    device = PortalTotp.objects.get(account=account)
    bad = client.post(reverse("portal:security"), {"action": "totp_confirm", "code": "12"})
    assert "not right" in bad.content.decode() or "6 digits" in bad.content.decode()
    client.post(reverse("portal:security"), {"action": "totp_confirm", "code": _code(device)})
    device.refresh_from_db()
    assert device.confirmed


def test_sign_out_keeps_nothing(client: Client, account: Any) -> None:
    token = request_link(client, "anna@example.org")
    client.post(reverse("portal:magic_link", args=[token]))
    client.post(reverse("portal:sign_out"))
    assert SESSION_KEY not in client.session
    assert client.get(reverse("portal:home")).status_code == 302


def test_deactivated_account_ends_the_session(client: Client, account: Any) -> None:
    token = request_link(client, "anna@example.org")
    client.post(reverse("portal:magic_link", args=[token]))
    PortalAccount.objects.filter(pk=account.pk).update(is_active=False)
    assert client.get(reverse("portal:home")).status_code == 302


def test_an_account_opens_on_first_request_for_one_adult_with_that_email(
    client: Client, make: Any
) -> None:
    patient = make.patient(email="Nuova@Example.org", family_name="Nuova")
    token = request_link(client, "nuova@example.org")
    assert client.post(reverse("portal:magic_link", args=[token])).status_code == 302
    assert PortalAccount.objects.get(email="nuova@example.org").organization_id == (
        patient.organization_id
    )


def test_a_shared_family_address_opens_no_account(client: Client, make: Any) -> None:
    make.patient(email="family@example.org", given_name="Uno")
    make.patient(email="family@example.org", given_name="Due")
    client.post(reverse("portal:sign_in"), {"email": "family@example.org"})
    assert mail.outbox == []
    assert not PortalAccount.objects.filter(email="family@example.org").exists()
