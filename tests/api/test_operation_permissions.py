"""Every operation of the OpenAPI document, called as every role, no token and a bad token,
answers as docs/permissions.md says: the table there is the single source of who may call what.

A role the table refuses gets 403 problem+json; a role it allows never gets 401 or 403 (nor a
server error), with a request that passes validation, so the service's own checks are
exercised too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from api_operations import CALLS, operations, send
from django.test import Client

from mesocare.accounts.models import ApiToken
from mesocare.clinics.permissions import MEMBER

pytestmark = pytest.mark.django_db

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLES = ("admin", "practitioner", "reception", "auditor")
YES = "✓"


def _table(header: str) -> list[list[str]]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = lines.index(header)
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip().strip("`") for cell in line.strip().strip("|").split("|")])
    return rows


def documented_roles() -> dict[str, set[str]]:
    """{permission: roles allowed}, from the role × permission table."""
    header = "| permission | " + " | ".join(ROLES) + " |"
    roles = {
        row[0]: {role for role, cell in zip(ROLES, row[1:], strict=True) if cell == YES}
        for row in _table(header)
    }
    roles[MEMBER] = set(ROLES)
    return roles


def documented_operations() -> dict[tuple[str, str], str]:
    """{(METHOD, path relative to /api/v1/): permission}, from the operations table."""
    out = {}
    for operation, permission in _table("| operation | permission |"):
        method, path = operation.split(" ", 1)
        out[(method, path.removeprefix("/"))] = permission
    return out


OPERATIONS = operations()


@pytest.fixture(autouse=True)
def _private_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _client(clinic: Any, role: str) -> tuple[Client, dict[str, str]]:
    _token, raw = ApiToken.issue(clinic.members[role])
    return Client(), {"HTTP_AUTHORIZATION": f"Bearer {raw}"}


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_answers_every_role_as_documented(clinic: Any, method: str, path: str) -> None:
    documented = documented_operations()
    assert (method, path) in documented, f"add `{method} /{path}` to docs/permissions.md"
    assert (method, path) in CALLS, f"teach tests/api/api_operations.py CALLS `{method} {path}`"
    allowed = documented_roles()[documented[(method, path)]]
    for role in ROLES:
        client, headers = _client(clinic, role)
        response = send(client, method, CALLS[(method, path)](clinic, role), headers)
        body = b"" if response.streaming else response.content[:300]
        where = f"{method} /{path} as {role}: {response.status_code} {body!r}"
        if role in allowed:
            assert response.status_code not in (401, 403), where
            assert response.status_code < 500, where
        else:
            assert response.status_code == 403, where
            assert response["Content-Type"] == "application/problem+json", where


@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_operation_refuses_a_missing_or_bad_token(clinic: Any, method: str, path: str) -> None:
    request = CALLS[(method, path)](clinic, "admin")
    for headers in ({}, {"HTTP_AUTHORIZATION": "Bearer not-a-token"}):
        response = send(Client(), method, request, headers)
        where = f"{method} /{path} with {headers or 'no token'}: {response.status_code}"
        assert response.status_code == 401, where
        assert response["Content-Type"] == "application/problem+json", where
        assert response["WWW-Authenticate"] == "Bearer", where


def test_every_documented_operation_exists() -> None:
    """No stale rows: an operation removed from the API is removed from the table too."""
    assert set(documented_operations()) == set(OPERATIONS)


def test_the_auditor_changes_nothing(clinic: Any) -> None:
    """Every write operation the table gives the auditor is refused; it reads everything."""
    documented = documented_operations()
    roles = documented_roles()
    writes = [op for op in OPERATIONS if op[0] != "GET" and "auditor" in roles[documented[op]]]
    # Only computations that store nothing and the auditor's own calendar feed remain.
    assert sorted(writes) == [
        ("DELETE", "calendar-feeds/{feed_id}"),
        ("POST", "calendar-feeds"),
        ("POST", "scales/{scale_id}/score"),
    ]
