"""A bearer token stops working on the very next request after it is revoked, or its membership
or user is deactivated: the lookup is compiled once per process but read fresh every time."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from mesocare.accounts.models import ApiToken
from tests.conftest import Clinic


def _revoke(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=timezone.now())


def _end_membership(token: ApiToken) -> None:
    type(token.membership).objects.filter(pk=token.membership_id).update(is_active=False)


def _deactivate_user(token: ApiToken) -> None:
    user = token.membership.user
    type(user).objects.filter(pk=user.pk).update(is_active=False)


@pytest.mark.parametrize("withdraw", [_revoke, _end_membership, _deactivate_user])
def test_a_withdrawn_token_is_refused_on_the_next_request(
    clinic: Clinic, withdraw: Callable[[ApiToken], Any]
) -> None:
    token, raw = ApiToken.issue(clinic.members["reception"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    me = client.get("/api/v1/me")
    assert me.status_code == 200
    assert me.json()["role"] == "reception"
    withdraw(token)
    refused = client.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Bearer"


def test_a_changed_role_applies_on_the_next_request(clinic: Clinic) -> None:
    token, raw = ApiToken.issue(clinic.members["admin"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get("/api/v1/me").json()["role"] == "admin"
    type(token.membership).objects.filter(pk=token.membership_id).update(role="auditor")
    assert client.get("/api/v1/me").json()["role"] == "auditor"
