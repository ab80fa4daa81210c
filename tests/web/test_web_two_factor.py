"""Two-factor set-up in the browser: a password alone never enrols a new authenticator, the
device exists only once a code confirms it, and replacing one needs the old one first."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from django_otp.util import random_hex

from mesocare.audit.models import AuditEvent
from mesocare.web.views.two_factor import PENDING_SECRET

pytestmark = pytest.mark.django_db


def code_for(secret_hex: str, drift: int = 0) -> str:
    totp = TOTP(bytes.fromhex(secret_hex), drift=drift)
    return f"{totp.token():06d}"


def confirmed_device(user: Any) -> TOTPDevice:
    return TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)


def password_session(user: Any) -> Client:
    """Signed in with the password only (the second factor not used in this session)."""
    client = Client()
    client.force_login(user)
    return client


def verified_session(user: Any, device: TOTPDevice) -> Client:
    client = password_session(user)
    response = client.post("/account/2fa/verify?next=/", {"token": code_for(device.key)})
    assert response.status_code == 302 and response["Location"] == "/"
    return client


def secret_on_page(response: Any) -> str:
    """The base32 secret of the otpauth:// link the set-up page shows, as hex."""
    import base64

    url = re.search(r"otpauth://[^<\"]+", response.content.decode())
    assert url, "the set-up page shows the otpauth link"
    secret = parse_qs(urlparse(url.group(0).replace("&amp;", "&")).query)["secret"][0]
    return base64.b32decode(secret + "=" * (-len(secret) % 8)).hex()


def test_a_password_only_session_cannot_enrol_a_new_authenticator(clinic: Any) -> None:
    user = clinic.user("practitioner")
    original = confirmed_device(user)
    attacker = password_session(user)

    page = attacker.get("/account/2fa/setup")
    assert page.status_code == 302
    assert page["Location"].startswith("/account/2fa/verify")
    assert list(TOTPDevice.objects.filter(user=user)) == [original]

    # Even a secret of the attacker's choosing, confirmed with its own code, is refused.
    secret = random_hex(20)
    session = attacker.session
    session[PENDING_SECRET] = secret
    session.save()
    attacker.post("/account/2fa/setup", {"token": code_for(secret)})
    assert list(TOTPDevice.objects.filter(user=user)) == [original]
    gated = attacker.get("/patients")
    assert gated.status_code == 302 and gated["Location"].startswith("/account/2fa/verify")


def test_setup_creates_the_device_only_when_a_code_confirms_it(clinic: Any) -> None:
    user = clinic.user("reception")
    client = password_session(user)
    page = client.get("/account/2fa/setup")
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store"
    assert not TOTPDevice.objects.filter(user=user).exists()
    secret = secret_on_page(page)
    assert client.get("/account/2fa/setup").status_code == 200  # same secret on reload
    assert secret_on_page(client.get("/account/2fa/setup")) == secret

    wrong = client.post("/account/2fa/setup", {"token": "000000"})
    assert "not valid" in wrong.content.decode()
    assert not TOTPDevice.objects.filter(user=user).exists()

    done = client.post("/account/2fa/setup", {"token": code_for(secret)})
    assert done.status_code == 302
    device = TOTPDevice.objects.get(user=user)
    assert device.confirmed and device.key == secret
    assert client.get("/patients").status_code == 200  # this session is verified
    event = AuditEvent.objects.get(object_type="otp_totp.totpdevice", object_id=str(device.pk))
    assert event.action == "create" and event.actor == user

    # A new password-only session must now use it.
    later = password_session(user)
    assert later.get("/patients")["Location"].startswith("/account/2fa/verify")


def test_a_verified_session_replaces_its_authenticator(clinic: Any) -> None:
    user = clinic.user("admin")
    old = confirmed_device(user)
    client = verified_session(user, old)
    page = client.get("/account/2fa/setup")
    assert page.status_code == 200
    assert "replaces your current one" in page.content.decode()
    secret = secret_on_page(page)
    assert client.post("/account/2fa/setup", {"token": code_for(secret)}).status_code == 302

    [new] = TOTPDevice.objects.filter(user=user)
    assert new.key == secret and new.pk != old.pk
    event = AuditEvent.objects.get(object_type="otp_totp.totpdevice", object_id=str(new.pk))
    assert event.action == "update" and event.changes["replaced_devices"] == [[old.pk], []]

    fresh = password_session(user)
    refused = fresh.post("/account/2fa/verify?next=/", {"token": code_for(old.key)})
    assert "not valid" in refused.content.decode()
    new.refresh_from_db()
    new.throttle_reset()  # as if the delay after a wrong code had passed
    accepted = fresh.post("/account/2fa/verify?next=/", {"token": code_for(secret, drift=1)})
    assert accepted.status_code == 302


def test_the_account_page_offers_to_replace_an_authenticator(clinic: Any) -> None:
    user = clinic.user("auditor")
    client = verified_session(user, confirmed_device(user))
    page = client.get("/account").content.decode()
    assert "Replace authenticator" in page and 'href="/account/2fa/setup"' in page
