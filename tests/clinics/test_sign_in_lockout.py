"""Sign-in lockout: per account and per client address (through trusted proxies only), with a
cool-off and an administrator's unlock."""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

import pytest
from axes.models import AccessAttempt
from django.test import Client
from django.utils import timezone

from mesocare.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
PROXY = "10.0.0.2"


@pytest.fixture(autouse=True)
def _behind_a_proxy(settings: Any) -> None:
    settings.MESOCARE_TRUSTED_PROXIES = [ipaddress.ip_network("10.0.0.0/24")]
    settings.AXES_FAILURE_LIMIT = 5
    settings.MESOCARE_IP_FAILURE_LIMIT = 20


def _sign_in(email: str, password: str, *, peer: str, forwarded: str | None = None) -> Any:
    extra = {"REMOTE_ADDR": peer}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    client = Client()
    response = client.post("/login", {"username": email, "password": password}, **extra)
    response.signed_in = "_auth_user_id" in client.session
    return response


def test_five_bad_passwords_behind_the_proxy_do_not_lock_colleagues_out(clinic: Any) -> None:
    """Every request comes from the proxy; the lock must follow the client and the account."""
    victim = clinic.user("reception").email
    for _ in range(5):
        _sign_in(victim, "wrong", peer=PROXY, forwarded="203.0.113.5")
    colleague = clinic.user("practitioner").email
    assert _sign_in(colleague, PASSWORD, peer=PROXY, forwarded="203.0.113.6").signed_in
    assert not _sign_in(victim, PASSWORD, peer=PROXY, forwarded="203.0.113.6").signed_in


def test_failures_from_one_client_behind_the_proxy_lock_that_client_only(clinic: Any) -> None:
    for n in range(20):
        _sign_in(f"nobody{n}@example.org", "wrong", peer=PROXY, forwarded="203.0.113.9")
    blocked = _sign_in(clinic.user("admin").email, PASSWORD, peer=PROXY, forwarded="203.0.113.9")
    assert blocked.status_code == 429
    assert not blocked.signed_in
    assert _sign_in(
        clinic.user("admin").email, PASSWORD, peer=PROXY, forwarded="203.0.113.10"
    ).signed_in


def test_forwarded_for_from_an_untrusted_peer_is_ignored(clinic: Any) -> None:
    """An attacker cannot dodge the address lock by inventing a new X-Forwarded-For each time."""
    for n in range(20):
        _sign_in(f"nobody{n}@example.org", "wrong", peer="198.51.100.7", forwarded=f"192.0.2.{n}")
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {"198.51.100.7"}
    blocked = _sign_in(
        clinic.user("admin").email, PASSWORD, peer="198.51.100.7", forwarded="192.0.2.200"
    )
    assert not blocked.signed_in


def test_an_account_locks_after_five_failures_from_anywhere(clinic: Any) -> None:
    email = clinic.user("reception").email
    for n in range(5):
        _sign_in(email.upper(), "wrong", peer=PROXY, forwarded=f"203.0.113.{n + 20}")
    locked = _sign_in(email, PASSWORD, peer=PROXY, forwarded="203.0.113.99")
    assert not locked.signed_in
    assert "Too many failed sign-ins" in locked.content.decode()


def test_the_account_unlocks_itself_after_the_cool_off(clinic: Any, settings: Any) -> None:
    email = clinic.user("reception").email
    for _ in range(5):
        _sign_in(email, "wrong", peer="203.0.113.5")
    assert not _sign_in(email, PASSWORD, peer="203.0.113.5").signed_in
    past = timezone.now() - dt.timedelta(hours=settings.AXES_COOLOFF_TIME, minutes=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert _sign_in(email, PASSWORD, peer="203.0.113.5").signed_in


def test_an_admin_unlocks_a_member_and_it_is_audited(clinic: Any) -> None:
    member = clinic.members["reception"]
    for _ in range(5):
        _sign_in(member.user.email, "wrong", peer="203.0.113.5")
    admin = Client()
    admin.force_login(clinic.user("admin"))
    staff_page = admin.get("/org/staff").content.decode()
    assert f"/org/staff/{member.pk}/unlock" in staff_page
    response = admin.post(f"/org/staff/{member.pk}/unlock")
    assert response.status_code == 302
    assert _sign_in(member.user.email, PASSWORD, peer="203.0.113.6").signed_in
    event = AuditEvent.objects.get(object_type="clinics.membership", summary__contains="unlock")
    assert (event.actor, event.organization_id) == (clinic.user("admin"), clinic.org.pk)


def test_only_admins_of_the_same_organization_unlock(clinic: Any, other_clinic: Any) -> None:
    member = clinic.members["reception"]
    for _ in range(5):
        _sign_in(member.user.email, "wrong", peer="203.0.113.5")
    stranger = Client()
    stranger.force_login(other_clinic.user("admin"))
    assert stranger.post(f"/org/staff/{member.pk}/unlock").status_code == 404
    practitioner = Client()
    practitioner.force_login(clinic.user("practitioner"))
    assert practitioner.post(f"/org/staff/{member.pk}/unlock").status_code == 403
    assert AccessAttempt.objects.filter(username=member.user.email).exists()


def test_the_api_unlocks_a_member(clinic: Any) -> None:
    member = clinic.members["reception"]
    for _ in range(5):
        _sign_in(member.user.email, "wrong", peer="203.0.113.5")
    response = clinic.api("admin").post(f"staff/{member.pk}/unlock")
    assert response.status_code == 200
    assert response.json()["failed_sign_ins_cleared"] == 5
    assert clinic.api("auditor").post(f"staff/{member.pk}/unlock").status_code == 403
