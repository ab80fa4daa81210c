"""Shared fixtures: two organizations, each with a fixed cast (admin, practitioner, reception,
auditor), and API clients that act as any of them."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings

from mesocare.accounts.models import ApiToken, User
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location, Membership, Organization, Room
from mesocare.patients.models import Patient

# Properties are judged by what they find, never by how fast a loaded machine draws or runs an
# example: no per-example deadline (a wall-clock threshold), no "too slow" health check.
settings.register_profile("mesocare", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("mesocare")

# The factories (`make`, `other_make`, `make_plan`, `journal`, ...) for every test directory.
pytest_plugins = ["tests.factories"]

PASSWORD = "correct horse battery staple"
ROLES = ("admin", "practitioner", "reception", "auditor")


class Api:
    """A JSON client for /api/v1 acting with one bearer token."""

    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}

    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        url = path if path.startswith("/") else f"/api/v1/{path}"
        kwargs: dict[str, Any] = dict(self.headers)
        if body is not None:
            kwargs["data"] = (
                body if isinstance(body, (str, bytes)) else json.dumps(body, default=str)
            )
            kwargs["content_type"] = "application/json"
        elif params:
            kwargs["data"] = params
        return getattr(self.client, method)(url, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self._call("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self._call("post", path, body if body is not None else {})

    def patch(self, path: str, body: Any) -> Any:
        return self._call("patch", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self._call("put", path, body)

    def delete(self, path: str) -> Any:
        return self._call("delete", path)


@dataclass
class Clinic:
    org: Organization
    location: Location
    room: Room
    members: dict[str, Membership]
    patient: Patient

    def actor(self, role: str = "admin") -> Actor:
        return Actor(membership=self.members[role], ip="127.0.0.1")

    def api(self, role: str = "admin") -> Api:
        _token, raw = ApiToken.issue(self.members[role])
        return Api(raw)

    def user(self, role: str) -> User:
        return self.members[role].user

    def today(self) -> dt.date:
        """Today at the clinic's location (Rome), the day the product records and reports:
        from 23:00 UTC it is already tomorrow there."""
        return timezone.localdate(timezone=self.location.tz)


def make_clinic(slug: str, patient_name: tuple[str, str] = ("Giulia", "Rossi")) -> Clinic:
    org = Organization.objects.create(name=f"Clinic {slug}", slug=slug)
    location = Location.objects.create(
        organization=org, name=f"Main {slug}", timezone="Europe/Rome"
    )
    room = Room.objects.create(organization=org, location=location, name="Facial 1", kind="facial")
    members = {}
    for role in ROLES:
        user = User.objects.create_user(f"{role}@{slug}.test", PASSWORD, full_name=f"{role} {slug}")
        members[role] = Membership.objects.create(user=user, organization=org, role=role)
    patient = Patient.objects.create(
        organization=org,
        given_name=patient_name[0],
        family_name=patient_name[1],
        birth_date=dt.date(1990, 5, 17),
        sex_at_birth="female",
        phone="+39 333 123 4567",
        # Asked at intake: no known allergies (a history nobody took is a safety warning).
        allergy_status="no_known_allergies",
        allergy_status_by=members["practitioner"].user,
        allergy_status_at=timezone.now(),
    )
    return Clinic(org, location, room, members, patient)


@pytest.fixture
def clinic(db: Any) -> Clinic:
    return make_clinic("alpha")


@pytest.fixture
def other_clinic(db: Any) -> Clinic:
    """A stranger organization: nothing of it may ever be visible from `clinic`."""
    return make_clinic("beta", ("Bettina", "Stranger"))


@pytest.fixture
def api(clinic: Clinic) -> Api:
    return clinic.api("admin")


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    """Argon2 is deliberately slow; tests of other things need not pay for it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Each test starts with an empty cache: on SQLite a rolled-back test's ids come back in
    the next one, and a value cached under them would leak across."""
    from django.core.cache import cache

    cache.clear()
