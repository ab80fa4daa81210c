"""Forgot my password: the same answer for every address, a link that works once and not after
it expires, limits per address and per network, audited, and the second factor still asked."""

from __future__ import annotations

import ipaddress
import re
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.core import mail
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.clinics.models import Membership
from mesocare.web.views.password_reset import request_reset

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"  # the fixed password of the conftest cast
NEW_PASSWORD = "violet tapestry harbor 42"
SENT = "If an account uses this address, we have emailed it a link"
TOO_MANY = "Too many password reset requests"
REFUSED = "This link no longer works"


def ask(client: Client, email: str, **extra: Any) -> Any:
    return client.post("/password-reset", {"email": email}, **extra)


def link_in(message: Any) -> str:
    found = re.search(r"https?://[^/\s]+(/password-reset/\S+)", message.body)
    assert found, message.body
    return found.group(1)


def reset_link(clinic: Any, role: str = "practitioner") -> str:
    mail.outbox.clear()
    assert ask(Client(), clinic.user(role).email).status_code == 200
    assert len(mail.outbox) == 1
    return link_in(mail.outbox[0])


def set_password(link: str, password: str = NEW_PASSWORD) -> tuple[Client, Any]:
    browser = Client()
    opened = browser.get(link)
    assert opened.status_code == 302, "the token moves from the URL into the session"
    form = browser.get(opened["Location"])
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    done = browser.post(opened["Location"], {"new_password1": password, "new_password2": password})
    return browser, done


def signs_in(email: str, password: str) -> bool:
    return Client().post("/login", {"username": email, "password": password}).status_code == 302


def page_text(response: Any) -> str:
    # The CSRF token in the page is masked anew on every request; nothing else may differ.
    return re.sub(r'"X-CSRFToken": "[^"]*"', "", response.content.decode())


def test_the_sign_in_page_links_to_the_reset_form() -> None:
    page = Client().get("/login")
    assert 'href="/password-reset"' in page.content.decode()
    form = Client().get("/password-reset")
    assert form.status_code == 200 and 'name="email"' in form.content.decode()


def test_known_and_unknown_emails_get_the_same_page_and_only_the_known_one_an_email(
    clinic: Any,
) -> None:
    known = ask(Client(), clinic.user("reception").email)
    unknown = ask(Client(), "nobody@nowhere.test")
    assert known.status_code == unknown.status_code == 200
    assert SENT in page_text(known)
    assert page_text(known) == page_text(unknown)
    assert [m.to for m in mail.outbox] == [[clinic.user("reception").email]]
    assert "/password-reset/" in mail.outbox[0].body


def test_the_response_path_does_the_same_work_and_sends_only_after_the_response(
    clinic: Any,
) -> None:
    def respond(email: str) -> tuple[Any, int]:
        request = RequestFactory().post("/password-reset", {"email": email})
        request.user = AnonymousUser()
        request._dont_enforce_csrf_checks = True  # type: ignore[attr-defined]
        with CaptureQueriesContext(connection) as queries:
            response = request_reset(request)
        return response, len(queries)

    known, known_queries = respond(clinic.user("admin").email)
    unknown, unknown_queries = respond("stranger@nowhere.test")
    assert known_queries == unknown_queries
    assert mail.outbox == [], "nothing is sent before the client has its page"
    assert not AuditEvent.objects.filter(object_type="password_reset").exists()
    known.close()  # what the WSGI server does once the body is sent
    unknown.close()
    assert [m.to for m in mail.outbox] == [[clinic.user("admin").email]]


def test_the_link_sets_a_new_password_once_then_is_refused(clinic: Any) -> None:
    user = clinic.user("practitioner")
    link = reset_link(clinic)
    _browser, done = set_password(link)
    assert done.status_code == 302 and done["Location"] == "/login"
    login_page = Client().get("/login")
    assert login_page.status_code == 200
    assert signs_in(user.email, NEW_PASSWORD)
    assert not signs_in(user.email, PASSWORD)

    again = Client().get(link)
    assert again.status_code == 200 and REFUSED in again.content.decode()
    assert signs_in(user.email, NEW_PASSWORD)


def test_a_link_opened_in_two_browsers_sets_the_password_only_once(clinic: Any) -> None:
    user = clinic.user("practitioner")
    link = reset_link(clinic)
    first = Client()
    form_url = first.get(link)["Location"]  # the token now waits in this browser's session
    set_password(link)
    late = first.post(
        form_url, {"new_password1": "late comer 77 x", "new_password2": "late comer 77 x"}
    )
    assert late.status_code == 200 and REFUSED in late.content.decode()
    assert signs_in(user.email, NEW_PASSWORD)


def test_the_done_page_is_the_sign_in_page_with_a_message(clinic: Any) -> None:
    browser, done = set_password(reset_link(clinic))
    page = browser.get(done["Location"])
    assert "Your password has been changed" in page.content.decode()
    assert 'name="password"' in page.content.decode()


def test_an_expired_link_is_refused(clinic: Any, settings: Any, monkeypatch: Any) -> None:
    link = reset_link(clinic)
    later = PasswordResetTokenGenerator._now(PasswordResetTokenGenerator())  # noqa: SLF001
    import datetime as dt

    monkeypatch.setattr(
        PasswordResetTokenGenerator,
        "_now",
        lambda self: later + dt.timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT + 1),
    )
    opened = Client().get(link)
    assert opened.status_code == 200 and REFUSED in opened.content.decode()
    assert signs_in(clinic.user("practitioner").email, PASSWORD)


def test_a_weak_new_password_is_refused_by_the_validators(clinic: Any) -> None:
    user = clinic.user("reception")
    _browser, done = set_password(reset_link(clinic, "reception"), "12345678")
    assert done.status_code == 200
    assert "too common" in done.content.decode() or "entirely numeric" in done.content.decode()
    assert signs_in(user.email, PASSWORD)


def test_more_than_three_requests_per_email_in_an_hour_get_429_known_or_not(
    clinic: Any,
) -> None:
    for email in (clinic.user("auditor").email, "ghost@nowhere.test"):
        for n in range(3):
            # from different networks: only the per-email limit is in play
            assert ask(Client(), email, REMOTE_ADDR=f"198.51.100.{n + 1}").status_code == 200
        refused = ask(Client(), email, REMOTE_ADDR="198.51.100.9")
        assert refused.status_code == 429 and TOO_MANY in refused.content.decode()
    assert len(mail.outbox) == 3


def test_more_than_ten_requests_per_client_address_in_an_hour_get_429(
    clinic: Any, settings: Any
) -> None:
    settings.MESOCARE_TRUSTED_PROXIES = [
        ipaddress.ip_network("10.0.0.0/8")
    ]  # the clinic's reverse proxy
    proxy = {"REMOTE_ADDR": "10.0.0.2"}
    for n in range(10):
        ok = ask(Client(), f"p{n}@nowhere.test", HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
        assert ok.status_code == 200
    limited = ask(Client(), clinic.user("admin").email, HTTP_X_FORWARDED_FOR="203.0.113.7", **proxy)
    assert limited.status_code == 429 and TOO_MANY in limited.content.decode()
    assert mail.outbox == []
    # Another client behind the same proxy is not held back.
    other = ask(Client(), clinic.user("admin").email, HTTP_X_FORWARDED_FOR="203.0.113.8", **proxy)
    assert other.status_code == 200 and len(mail.outbox) == 1


def test_request_completion_and_refused_link_are_audited_in_each_organization(
    clinic: Any, other_clinic: Any
) -> None:
    user = clinic.user("practitioner")
    Membership.objects.create(user=user, organization=other_clinic.org, role="reception")
    link = reset_link(clinic)
    set_password(link)
    Client().get(link)

    for org in (clinic.org, other_clinic.org):
        events = AuditEvent.objects.for_org(org).filter(object_id=str(user.pk))
        kinds = sorted((e.action, e.object_type) for e in events)
        assert kinds == sorted(
            [
                (AuditAction.CREATE, "password_reset"),
                (AuditAction.UPDATE, "accounts.user"),
                (AuditAction.LOGIN_FAILED, "password_reset"),
            ]
        ), org
        assert all(e.actor_id == user.pk and e.ip == "127.0.0.1" for e in events)


def test_a_completed_reset_ends_the_users_other_sessions(clinic: Any) -> None:
    user = clinic.user("admin")
    elsewhere = Client()
    assert (
        elsewhere.post("/login", {"username": user.email, "password": PASSWORD}).status_code == 302
    )
    assert elsewhere.get("/patients").status_code == 200
    set_password(reset_link(clinic, "admin"))
    signed_out = elsewhere.get("/patients")
    assert signed_out.status_code == 302 and signed_out["Location"].startswith("/login")


def test_after_a_reset_sign_in_still_needs_the_second_factor(clinic: Any) -> None:
    user = clinic.user("practitioner")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    set_password(reset_link(clinic))

    browser = Client()
    assert (
        browser.post("/login", {"username": user.email, "password": NEW_PASSWORD}).status_code
        == 302
    )
    gated = browser.get("/patients")
    assert gated.status_code == 302 and gated["Location"].startswith("/account/2fa/verify")
    code = f"{TOTP(device.bin_key).token():06d}"
    assert browser.post("/account/2fa/verify?next=/patients", {"token": code}).status_code == 302
    assert browser.get("/patients").status_code == 200


def test_the_email_is_in_the_users_language(clinic: Any) -> None:
    user = clinic.user("reception")
    user.language = "it"
    user.save(update_fields=["language"])
    reset_link(clinic, "reception")
    assert "password" in mail.outbox[0].subject.lower()
    assert "Apri questo link" in mail.outbox[0].body


@pytest.mark.parametrize(
    "path",
    [
        "/password-reset/MQ/set-password",  # no token waiting in this browser's session
        "/password-reset/not-base64/abc-def",
        "/password-reset/OTIyMzM3MjAzNjg1NDc3NTgwOA/abc-def",  # a user id beyond 64 bits
    ],
)
def test_an_altered_link_is_refused_not_an_error(path: str) -> None:
    page = Client().get(path)
    assert page.status_code == 200 and REFUSED in page.content.decode()
