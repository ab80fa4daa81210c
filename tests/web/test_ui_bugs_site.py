"""Issue 18, bugs 13 and 14: links follow the served address (SITE_URL) and the site has an icon."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

import mesocare.cli as cli

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_favicon_is_served_as_a_real_icon(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/vnd.microsoft.icon"
    body = b"".join(response.streaming_content)
    assert body[:4] == b"\x00\x00\x01\x00"  # ICO header: reserved 0, type 1 (icon)


@pytest.mark.django_db
def test_every_page_links_the_icon(web: Any) -> None:
    for client, path in ((Client(), "/login"), (web("admin"), "/")):
        html = client.get(path).content.decode()
        assert 'rel="icon"' in html and "favicon.ico" in html


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["serve", "--port", "8123"], "http://127.0.0.1:8123"),
        (["serve", "--host", "0.0.0.0", "--port", "9000"], "http://127.0.0.1:9000"),
        (["demo", "--port", "8765", "--no-serve"], "http://127.0.0.1:8765"),
    ],
)
def test_links_in_messages_follow_the_served_port(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], expected: str
) -> None:
    monkeypatch.delenv("SITE_URL", raising=False)
    monkeypatch.setattr(cli, "_setup", lambda **kwargs: None)
    monkeypatch.setattr(cli, "_serve", lambda *args, **kwargs: 0)
    monkeypatch.setattr("django.core.management.call_command", lambda *a, **k: None)
    with pytest.raises(SystemExit) if argv[0] == "serve" else contextlib.nullcontext():
        cli.main(argv)
    assert os.environ["SITE_URL"] == expected


def test_an_explicit_site_url_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SITE_URL", "https://clinic.example.org")
    monkeypatch.setattr(cli, "_setup", lambda **kwargs: None)
    monkeypatch.setattr(cli, "_serve", lambda *args, **kwargs: 0)
    with pytest.raises(SystemExit):
        cli.main(["serve", "--port", "8123"])
    assert os.environ["SITE_URL"] == "https://clinic.example.org"


def test_every_setting_read_from_the_environment_is_documented() -> None:
    source = "\n".join(p.read_text() for p in (ROOT / "mesocare" / "settings").glob("*.py"))
    names = set(re.findall(r'env_[a-z]+\(\s*"([A-Z][A-Z0-9_]+)"', source))
    assert "SITE_URL" in names
    operators = (ROOT / "docs" / "operators.md").read_text()
    missing = sorted(name for name in names if f"`{name}`" not in operators)
    assert missing == []
