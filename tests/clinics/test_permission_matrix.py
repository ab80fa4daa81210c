"""docs/permissions.md and mesocare/clinics/permissions.py agree, and the API honours the
documented matrix."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mesocare.clinics.permissions import ROLE_PERMISSIONS, Perm
from mesocare.patients.models import Medication

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


# ----------------------------------------------------------------- the API honours it


def _new_medication(clinic: Any) -> int:
    return Medication.objects.create(
        organization=clinic.org, patient=clinic.patient, name="Aspirin", drug_class="antiplatelet"
    ).pk


# (what, permission, call(api, clinic, role) -> response, success status)
Call = Callable[[Any, Any, str], Any]
API_CASES: list[tuple[str, str, Call, int]] = [
    ("list patients", "patient.view", lambda a, c, r: a.get("patients"), 200),
    ("read patient", "patient.view", lambda a, c, r: a.get(f"patients/{c.patient.pk}"), 200),
    (
        "register patient",
        "patient.edit",
        lambda a, c, r: a.post(
            "patients",
            {
                "given_name": "Ada",
                "family_name": r,
                "birth_date": "1990-01-01",
                "sex_at_birth": "female",
            },
        ),
        201,
    ),
    (
        "edit patient",
        "patient.edit",
        lambda a, c, r: a.patch(f"patients/{c.patient.pk}", {"phone": "+39 02 1234"}),
        200,
    ),
    (
        "read allergies",
        "allergy.view",
        lambda a, c, r: a.get(f"patients/{c.patient.pk}/allergies"),
        200,
    ),
    (
        "record allergy",
        "intake.record",
        lambda a, c, r: a.post(f"patients/{c.patient.pk}/allergies", {"substance": "Nickel"}),
        201,
    ),
    (
        "read medications",
        "clinical.view",
        lambda a, c, r: a.get(f"patients/{c.patient.pk}/medications"),
        200,
    ),
    (
        "record medication",
        "intake.record",
        lambda a, c, r: a.post(
            f"patients/{c.patient.pk}/medications",
            {"name": "Warfarin", "drug_class": "anticoagulant"},
        ),
        201,
    ),
    (
        "read consents",
        "clinical.view",
        lambda a, c, r: a.get(f"patients/{c.patient.pk}/consents"),
        200,
    ),
    (
        "end medication",
        "clinical.edit",
        lambda a, c, r: a.delete(f"patients/{c.patient.pk}/medications/{_new_medication(c)}"),
        204,
    ),
    ("list locations", "org.view", lambda a, c, r: a.get("locations"), 200),
    (
        "create location",
        "org.manage",
        lambda a, c, r: a.post("locations", {"name": f"Sede {r}", "timezone": "Europe/Rome"}),
        201,
    ),
    (
        "create room",
        "org.manage",
        lambda a, c, r: a.post(
            "rooms", {"location": c.location.pk, "name": f"R {r}", "kind": "body"}
        ),
        201,
    ),
    (
        "add staff",
        "staff.manage",
        lambda a, c, r: a.post("staff", {"email": f"new-{r}@example.org", "role": "reception"}),
        201,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    ("what", "perm", "call", "success"), API_CASES, ids=[case[0] for case in API_CASES]
)
def test_api_allows_exactly_the_documented_roles(
    clinic: Any, role: str, what: str, perm: str, call: Call, success: int
) -> None:
    allowed = documented_matrix()[perm][role]
    response = call(clinic.api(role), clinic, role)
    expected = success if allowed else 403
    assert response.status_code == expected, (what, role, response.content[:300])
    if not allowed:
        assert response["Content-Type"].startswith("application/problem+json")


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
