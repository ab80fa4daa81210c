"""docs/permissions.md lists the permission of every FHIR resource type, and each role reads
exactly the types its permissions allow (403 OperationOutcome otherwise)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir_helpers import fhir_for  # type: ignore[import-not-found]

from mesocare.clinics.permissions import role_has
from mesocare.fhir.registry import resource_types

DOC = Path(__file__).resolve().parents[2] / "docs" / "permissions.md"


def documented() -> dict[str, str]:
    lines = DOC.read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| FHIR resource type |"))
    rows = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        rows[cells[0]] = cells[1].strip("`")
    return rows


def test_the_permissions_page_lists_every_fhir_type_with_its_permission() -> None:
    assert documented() == {r.name: r.perm.value for r in resource_types()}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["admin", "practitioner", "reception", "auditor"])
def test_each_role_reads_what_its_permissions_allow(clinic: Any, role: str) -> None:
    fhir = fhir_for(clinic.members[role])
    for rtype in resource_types():
        response = fhir.get(rtype.name)
        expected = 200 if role_has(role, rtype.perm) else 403
        assert response.status_code == expected, (role, rtype.name)
        if expected == 403:
            assert json.loads(response.content)["issue"][0]["code"] == "forbidden"
