"""In Chromium: a receptionist turns on two-factor sign-in, signs out, and signs in again with
the password and a code from the authenticator."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import parse_qs, urlparse

from django_otp.oath import TOTP
from playwright.sync_api import expect

PASSWORD = "correct horse battery staple"


def _code(secret_b32: str, drift: int = 0) -> str:
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    return f"{TOTP(key, drift=drift).token():06d}"


def test_two_factor_set_up_sign_out_and_sign_in_with_the_code(e2e: Any, clinic: Any) -> None:
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    e2e.step("account", lambda: page.goto("/account"))
    e2e.step(
        "set up",
        lambda: page.get_by_role("link", name="Set up two-factor sign-in").click(),
    )
    page.wait_for_url("**/account/2fa/setup")
    assert e2e.axe(page) == []
    page.get_by_text("Can't scan? Use this set-up link").click()
    link = page.locator("code.breakall").inner_text()
    secret = parse_qs(urlparse(link).query)["secret"][0]

    page.get_by_label("6-digit code").fill(_code(secret))
    e2e.step("turn on", lambda: page.get_by_role("button", name="Turn on").click())
    page.wait_for_url("**/account")
    expect(page.get_by_text("Two-factor sign-in is on.")).to_be_visible()
    expect(page.get_by_role("link", name="Replace authenticator")).to_be_visible()

    e2e.step("sign out", lambda: page.get_by_role("button", name="Sign out").click())
    page.wait_for_url("**/login")
    expect(page.get_by_text("You have been signed out.")).to_be_visible()

    e2e.step("sign in again", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    assert re.search(r"/account/2fa/verify", page.url)
    assert e2e.axe(page) == []
    # The next time step: the code used during set-up cannot be replayed.
    page.get_by_label("6-digit code").fill(_code(secret, drift=1))
    e2e.step("verify", lambda: page.get_by_role("button", name="Verify").click())
    page.wait_for_url(lambda url: "/account/2fa" not in url)
    assert "Today" in page.title()
