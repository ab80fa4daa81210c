"""One helper checks that objects belong to the actor's organization (clinics/tenancy.py)."""

from __future__ import annotations

import pytest

from mesocare.clinics.tenancy import in_org, org_id_of, require_in_org
from mesocare.errors import Invalid, NotFound

pytestmark = pytest.mark.django_db


def test_objects_of_the_actors_organization_pass(clinic):
    require_in_org(clinic.actor(), clinic.patient, clinic.location, None, clinic.room)
    assert in_org(clinic.actor(), clinic.patient, None)
    assert in_org(clinic.org, clinic.patient) and in_org(clinic.org.pk, clinic.patient)


def test_a_stranger_object_is_not_found_named_by_its_kind(clinic, other_clinic):
    with pytest.raises(NotFound) as exc:
        require_in_org(clinic.actor(), clinic.location, other_clinic.patient)
    assert exc.value.code == "not_found"
    assert str(exc.value.message) == "No patient with this id."
    assert not in_org(clinic.actor(), clinic.patient, other_clinic.room)


def test_the_caller_may_give_its_own_error(clinic, other_clinic):
    with pytest.raises(Invalid):
        require_in_org(
            clinic.actor(),
            other_clinic.location,
            error=Invalid.field("location", "No location with this id."),
        )
    with pytest.raises(ValueError, match="another organization"):
        require_in_org(
            clinic.org.pk, other_clinic.patient, error=ValueError("another organization")
        )


def test_the_organization_is_read_from_an_actor_an_organization_or_an_id(clinic):
    assert org_id_of(clinic.actor()) == org_id_of(clinic.org) == org_id_of(clinic.org.pk)


def test_no_hand_written_organization_check_is_left():
    """The checks live in one helper: a new `organization_id != ...` belongs in it."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[2] / "mesocare"
    found = [
        f"{path.relative_to(root)}:{n}"
        for path in root.rglob("*.py")
        if "migrations" not in path.parts and path.name != "tenancy.py"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if "organization_id != " in line
    ]
    assert found == []
