"""docs/permissions.md and mesocare/clinics/permissions.py agree, and the API honours the
documented matrix."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from mesocare.clinics.permissions import MEMBER, ROLE_PERMISSIONS, Perm

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"
ROLES = ("admin", "practitioner", "reception", "auditor")
YES, NO = "✓", "—"


def _table_rows(header_start: str) -> list[list[str]]:
    """The body rows of the markdown table whose header row starts with `header_start`."""
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


def documented_matrix() -> dict[str, dict[str, bool]]:
    """{permission: {role: allowed}} as written in docs/permissions.md."""
    header = "| permission | " + " | ".join(ROLES) + " |"
    matrix: dict[str, dict[str, bool]] = {}
    for cells in _table_rows(header):
        perm = cells[0].strip("`")
        assert all(c in (YES, NO) for c in cells[1:]), cells
        matrix[perm] = {role: cell == YES for role, cell in zip(ROLES, cells[1:], strict=True)}
    return matrix


def test_every_permission_in_code_is_documented_and_nothing_else() -> None:
    assert set(documented_matrix()) == {p.value for p in Perm}


@pytest.mark.parametrize("perm", list(Perm), ids=lambda p: p.value)
def test_documented_roles_match_the_code(perm: Perm) -> None:
    documented = documented_matrix()[perm.value]
    in_code = {role: perm in ROLE_PERMISSIONS[role] for role in ROLES}
    assert documented == in_code


def test_every_permission_says_what_it_gates() -> None:
    gates = {cells[0].strip("`") for cells in _table_rows("| permission | staff UI pages |")}
    assert gates == {p.value for p in Perm}


# ------------------------------------------------------- every API operation is in the table


def documented_operations() -> dict[str, str]:
    """{"METHOD /path": permission} from the operations table of docs/permissions.md."""
    return {cells[0].strip("`"): cells[1].strip("`") for cells in _table_rows("| operation |")}


def test_every_api_operation_declares_the_documented_permission() -> None:
    """The OpenAPI document's x-permission of every operation is the one the table names (the
    behaviour of each operation for every role: tests/api/test_operation_permissions.py)."""
    from mesocare.api.root import api as ninja_api

    declared = {
        f"{method.upper()} {path.removeprefix('/api/v1')}": op.get("x-permission")
        for path, ops in ninja_api.get_openapi_schema()["paths"].items()
        for method, op in ops.items()
    }
    assert declared == documented_operations()


def test_every_documented_operation_permission_exists() -> None:
    known = {p.value for p in Perm} | {MEMBER}
    unknown = {op: p for op, p in documented_operations().items() if p not in known}
    assert unknown == {}


@pytest.mark.django_db
def test_reception_records_medications_but_cannot_read_them_back(clinic: Any) -> None:
    api = clinic.api("reception")
    url = f"patients/{clinic.patient.pk}/medications"
    assert api.post(url, {"name": "Warfarin", "drug_class": "anticoagulant"}).status_code == 201
    assert api.get(url).status_code == 403


@pytest.mark.django_db
def test_auditor_cannot_post_anything(clinic: Any) -> None:
    api = clinic.api("auditor")
    p = clinic.patient.pk
    posts = {
        "patients": {
            "given_name": "A",
            "family_name": "B",
            "birth_date": "1990-01-01",
            "sex_at_birth": "male",
        },
        f"patients/{p}/allergies": {"substance": "Nickel"},
        f"patients/{p}/medications": {"name": "X", "drug_class": "other"},
        f"patients/{p}/conditions": {"code": "diabetes"},
        f"patients/{p}/weights": {"kg": "70", "measured_on": "2024-01-01"},
        f"patients/{p}/consents": {"kind": "general", "version": "1", "signed_on": "2024-01-01"},
        "locations": {"name": "X", "timezone": "Europe/Rome"},
        "rooms": {"location": clinic.location.pk, "name": "X", "kind": "body"},
        "staff": {"email": "x@example.org", "role": "admin"},
    }
    for path, body in posts.items():
        assert api.post(path, body).status_code == 403, path


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_admin_adds_staff(clinic: Any, role: str) -> None:
    response = clinic.api(role).post(
        "staff", {"email": f"someone-{role}@example.org", "role": "auditor"}
    )
    assert response.status_code == (201 if role == "admin" else 403)
