"""Sign-in: TOTP second factor, and lockout after repeated failures (django-axes)."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesocare.web.views.two_factor import PENDING_SECRET

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the fixed password of the conftest cast


def _sign_in(client: Client, email: str, password: str = PASSWORD) -> Any:
    return client.post("/login", {"username": email, "password": password})


def test_two_factor_setup_then_sign_in_requires_the_code(clinic: Any) -> None:
    email = clinic.user("practitioner").email
    client = Client()
    assert _sign_in(client, email).status_code == 302
    assert client.get("/account/2fa/setup").status_code == 200
    secret = bytes.fromhex(client.session[PENDING_SECRET])  # shown as a QR code
    response = client.post("/account/2fa/setup", {"token": f"{totp(secret):06d}"})
    assert response.status_code == 302
    device = TOTPDevice.objects.get(user=clinic.user("practitioner"))
    assert device.confirmed

    fresh = Client()
    assert _sign_in(fresh, email).status_code == 302
    gated = fresh.get("/patients")
    assert gated.status_code == 302
    assert gated["Location"].startswith("/account/2fa/verify")
    wrong = fresh.post("/account/2fa/verify?next=/patients", {"token": "000000"})
    assert "not valid" in wrong.content.decode()
    device.refresh_from_db()
    device.throttle_reset()  # as if the throttling delay after the wrong code had passed
    # the next time step: the code used during set-up cannot be replayed
    code = f"{totp(device.bin_key, drift=1):06d}"
    verified = fresh.post("/account/2fa/verify?next=/patients", {"token": code})
    assert verified.status_code == 302
    assert verified["Location"] == "/patients"
    assert fresh.get("/patients").status_code == 200


def test_five_failed_sign_ins_lock_the_account_out(clinic: Any) -> None:
    email = clinic.user("reception").email
    client = Client()
    for _attempt in range(4):
        response = _sign_in(client, email, "wrong password")
        assert response.status_code == 200
        assert "Too many failed sign-ins" not in response.content.decode()
    locked = _sign_in(client, email, "wrong password")
    assert "Too many failed sign-ins" in locked.content.decode()
    assert locked.status_code in (403, 429)
    # even the right password is refused while locked out
    again = _sign_in(client, email)
    assert "Too many failed sign-ins" in again.content.decode()
    assert "_auth_user_id" not in client.session
