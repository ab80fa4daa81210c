"""Web UI fixtures: a signed-in browser for any role of the `clinic` organization."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from PIL import Image


@pytest.fixture
def web(clinic: Any) -> Callable[[str], Client]:
    """`web("reception")` → a test client signed in as the clinic's receptionist."""

    def signed_in(role: str) -> Client:
        client = Client()
        client.force_login(clinic.user(role))
        return client

    return signed_in


@pytest.fixture
def signature_png() -> str:
    """A small drawn signature as the signature pad sends it: a PNG data URL."""
    image = Image.new("RGB", (60, 20), "white")
    for x in range(5, 55):
        image.putpixel((x, 10 + (x % 5)), (0, 0, 0))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


@pytest.fixture
def demo_clinic(monkeypatch: Any, tmp_path: Any, settings: Any) -> None:
    """The demo clinic (`mesocare demo`), its files under a temporary directory."""
    from mesocare.demo.data import load_demo

    monkeypatch.setenv("MESOCARE_DEMO_PASSWORD", "demo-password-for-tests")
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "journal.jsonl")
    load_demo()
