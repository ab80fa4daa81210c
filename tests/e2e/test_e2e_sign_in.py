"""In Chromium: staff sign in and find a patient from the top bar."""

from __future__ import annotations

from typing import Any

PASSWORD = "correct horse battery staple"


def test_reception_signs_in_and_lands_on_today(e2e: Any, clinic: Any) -> None:
    page = e2e.page()
    e2e.step("sign in", lambda: e2e.sign_in(page, "reception@alpha.test", PASSWORD))
    assert "Today" in page.title()
    assert e2e.axe(page) == []
