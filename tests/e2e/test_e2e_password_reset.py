"""In Chromium: a practitioner who forgot the password asks for a link, sets a new password
from the email, and signs in with it."""

from __future__ import annotations

import re
from typing import Any

from django.core import mail
from playwright.sync_api import expect

NEW_PASSWORD = "violet tapestry harbor 42"


def test_forgotten_password_reset_from_the_emailed_link(e2e: Any, clinic: Any) -> None:
    page = e2e.page()
    e2e.step("sign-in page", lambda: page.goto("/login"))
    e2e.step("forgot", lambda: page.get_by_role("link", name="Forgot your password?").click())
    page.wait_for_url("**/password-reset")
    assert e2e.axe(page) == []
    page.get_by_label("Email").fill("practitioner@alpha.test")
    e2e.step("ask", lambda: page.get_by_role("button", name="Email me a link").click())
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    assert e2e.axe(page) == []

    # The email goes out after the page is sent (AfterResponse): wait for it.
    for _ in range(50):
        if mail.outbox:
            break
        page.wait_for_timeout(100)
    assert mail.outbox, "no reset email within 5 s"
    found = re.search(r"https?://[^/\s]+(/password-reset/\S+)", mail.outbox[-1].body)
    assert found, mail.outbox[-1].body
    e2e.step("open the link", lambda: page.goto(found.group(1)))
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    assert e2e.axe(page) == []
    page.get_by_label(re.compile(r"^New password\W*$")).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    e2e.step("set", lambda: page.get_by_role("button", name="Set the new password").click())
    page.wait_for_url("**/login")
    expect(page.get_by_text("Your password has been changed.")).to_be_visible()

    e2e.step("sign in", lambda: e2e.sign_in(page, "practitioner@alpha.test", NEW_PASSWORD))
    assert "Today" in page.title()
