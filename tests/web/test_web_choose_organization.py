"""A member of several organizations chooses one after signing in; never a silent default."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mesocare.clinics.models import Membership

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def two_org_user(clinic: Any, other_clinic: Any) -> Any:
    user = clinic.user("practitioner")
    Membership.objects.create(user=user, organization=other_clinic.org, role="admin")
    return user


def test_a_member_of_two_organizations_is_asked_which_one_after_sign_in(
    clinic: Any, other_clinic: Any, two_org_user: Any
) -> None:
    client = Client()
    client.post("/login", {"username": two_org_user.email, "password": PASSWORD})
    response = client.get("/patients")
    assert response.status_code == 302
    assert response["Location"].startswith("/choose-organization?next=/patients")
    page = client.get(response["Location"]).content.decode()
    assert clinic.org.name in page and other_clinic.org.name in page
    # the API does not pick one either
    assert client.get("/api/v1/me").status_code == 401
    chosen = client.post(
        "/choose-organization", {"organization": other_clinic.org.pk, "next": "/patients"}
    )
    assert chosen["Location"] == "/patients"
    assert client.get("/api/v1/me").json()["organization"]["id"] == other_clinic.org.pk
    assert client.get("/patients").status_code == 200


def test_the_chooser_refuses_an_organization_the_user_is_not_in(
    clinic: Any, two_org_user: Any
) -> None:
    from mesocare.clinics.models import Organization

    foreign = Organization.objects.create(name="Gamma", slug="gamma")
    client = Client()
    client.force_login(two_org_user)
    client.post("/choose-organization", {"organization": foreign.pk})
    assert client.get("/api/v1/me").status_code == 401


def test_signing_in_again_asks_again(clinic: Any, other_clinic: Any, two_org_user: Any) -> None:
    client = Client()
    client.post("/login", {"username": two_org_user.email, "password": PASSWORD})
    client.post("/choose-organization", {"organization": other_clinic.org.pk})
    client.post("/logout")
    client.post("/login", {"username": two_org_user.email, "password": PASSWORD})
    assert client.get("/")["Location"].startswith("/choose-organization")


def test_switching_is_explicit_and_limited_to_own_organizations(
    clinic: Any, other_clinic: Any, two_org_user: Any
) -> None:
    client = Client()
    client.force_login(two_org_user)
    client.post("/choose-organization", {"organization": clinic.org.pk})
    client.post("/switch-organization", {"organization": other_clinic.org.pk})
    assert client.get("/api/v1/me").json()["organization"]["id"] == other_clinic.org.pk


def test_a_deactivated_chosen_membership_falls_back_to_no_organization(
    clinic: Any, other_clinic: Any, two_org_user: Any
) -> None:
    client = Client()
    client.force_login(two_org_user)
    client.post("/choose-organization", {"organization": other_clinic.org.pk})
    Membership.objects.filter(user=two_org_user, organization=other_clinic.org).update(
        is_active=False
    )
    assert client.get("/api/v1/me").status_code == 401  # not silently moved to the other one


def test_a_single_organization_member_is_never_asked(clinic: Any) -> None:
    client = Client()
    client.post("/login", {"username": clinic.user("reception").email, "password": PASSWORD})
    assert client.get("/patients").status_code == 200
