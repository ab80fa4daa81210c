"""Signing out: a POST (with CSRF) that ends the session and lands on the sign-in page."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db


def test_signing_out_lands_on_the_sign_in_page_with_a_message(clinic: Any) -> None:
    client = Client()
    client.force_login(clinic.user("practitioner"))
    response = client.post("/logout", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == "/login"
    page = response.content.decode()
    assert "Sign in to mesocare" in page
    assert "You have been signed out." in page
    assert "_auth_user_id" not in client.session
    assert client.get("/patients").status_code == 302  # back to sign-in


def test_signing_out_needs_a_post_with_the_csrf_token(clinic: Any) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(clinic.user("reception"))
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 403  # no CSRF token: still signed in
    assert "_auth_user_id" in client.session

    page = client.get("/").content.decode()
    assert '<form method="post" action="/logout">' in page
    token = client.cookies["csrftoken"].value
    response = client.post("/logout", {"csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert response["Location"] == "/login"
    assert "_auth_user_id" not in client.session
