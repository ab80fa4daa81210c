"""Every staff page renders for the roles that may see it and is 403 for the others; pages of
another organization's objects are 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from mesocare.patients.models import Consent, Medication

pytestmark = pytest.mark.django_db

ALL = {"admin", "practitioner", "reception", "auditor"}
EDITORS = {"admin", "practitioner", "reception"}
CLINICAL_EDITORS = {"admin", "practitioner"}
ADMIN_AUDITOR = {"admin", "auditor"}
ADMIN = {"admin"}


def _records(clinic: Any) -> dict[str, int]:
    patient = clinic.patient
    medication = Medication.objects.create(
        organization=clinic.org, patient=patient, name="Warfarin", drug_class="anticoagulant"
    )
    consent = Consent.objects.create(
        organization=clinic.org,
        patient=patient,
        kind="general",
        version="1",
        signed_on="2024-01-02",
    )
    return {"medication": medication.pk, "consent": consent.pk}


# (page, allowed roles); {p} patient, {loc} location, {room} room, {rec} reception membership,
# {prac} practitioner membership, {med} a medication, {con} a consent.
PAGES: list[tuple[str, set[str]]] = [
    ("/", ALL),
    ("/patients", ALL),
    ("/patients?q=ros", ALL),
    ("/patients/new", EDITORS),
    ("/patients/{p}", ALL),
    ("/patients/{p}/edit", EDITORS),
    ("/patients/{p}/allergies", ALL),
    ("/patients/{p}/audit", ADMIN_AUDITOR),
    ("/patients/{p}/medications/{med}/end", CLINICAL_EDITORS),
    # intake.record: reception records consents and records their withdrawal.
    ("/patients/{p}/consents/{con}/withdraw", EDITORS),
    ("/org/locations", ADMIN_AUDITOR),
    ("/org/locations/new", ADMIN),
    ("/org/locations/{loc}/edit", ADMIN),
    ("/org/rooms", ADMIN_AUDITOR),
    ("/org/rooms/new", ADMIN),
    ("/org/rooms/{room}/edit", ADMIN),
    ("/org/staff", ADMIN_AUDITOR),
    ("/org/staff/new", ADMIN),
    ("/org/staff/{rec}/edit", ADMIN),
    ("/org/staff/{rec}/deactivate", ADMIN),
    ("/org/staff/{rec}/two-factor/reset", ADMIN),
    ("/org/staff/{prac}/hours", ADMIN_AUDITOR),
    ("/audit", ADMIN_AUDITOR),
    ("/audit/export.csv", ADMIN_AUDITOR),
    ("/account", ALL),
    ("/account/2fa/setup", ALL),
]

# Form posts with an empty body: allowed roles get the form back with errors (200), others 403.
POSTS: list[tuple[str, set[str]]] = [
    ("/patients/new", EDITORS),
    ("/patients/{p}/edit", EDITORS),
    ("/patients/{p}/medications/add", EDITORS),
    ("/patients/{p}/conditions/add", EDITORS),
    ("/patients/{p}/weights/add", EDITORS),
    ("/patients/{p}/consents/add", EDITORS),
    ("/patients/{p}/allergies/add", EDITORS),
    ("/org/locations/new", ADMIN),
    ("/org/rooms/new", ADMIN),
    ("/org/staff/new", ADMIN),
    ("/org/staff/{rec}/edit", ADMIN),
    ("/account/tokens", ALL),
]


def _url(template: str, clinic: Any, ids: dict[str, int]) -> str:
    return template.format(
        p=clinic.patient.pk,
        loc=clinic.location.pk,
        room=clinic.room.pk,
        rec=clinic.members["reception"].pk,
        prac=clinic.members["practitioner"].pk,
        med=ids["medication"],
        con=ids["consent"],
    )


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("page", "allowed"), PAGES, ids=[p for p, _a in PAGES])
def test_page_is_shown_only_to_the_roles_that_may_see_it(
    web: Callable[[str], Any], clinic: Any, page: str, allowed: set[str], role: str
) -> None:
    url = _url(page, clinic, _records(clinic))
    response = web(role).get(url)
    expected = 200 if role in allowed else 403
    assert response.status_code == expected, (url, role)


@pytest.mark.parametrize("role", sorted(ALL))
@pytest.mark.parametrize(("page", "allowed"), POSTS, ids=[p for p, _a in POSTS])
def test_form_post_is_refused_to_roles_without_the_permission(
    web: Callable[[str], Any], clinic: Any, page: str, allowed: set[str], role: str
) -> None:
    url = _url(page, clinic, _records(clinic))
    response = web(role).post(url, {})
    expected = 200 if role in allowed else 403
    assert response.status_code == expected, (url, role)


def test_anonymous_visitors_are_sent_to_sign_in(client: Any, clinic: Any) -> None:
    for url in ("/", "/patients", f"/patients/{clinic.patient.pk}", "/audit", "/org/staff"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login")


OTHER_ORG_PAGES = [
    "/patients/{p}",
    "/patients/{p}/edit",
    "/patients/{p}/allergies",
    "/patients/{p}/audit",
    "/patients/{p}/medications/{med}/end",
    "/patients/{p}/consents/{con}/withdraw",
    "/org/locations/{loc}/edit",
    "/org/rooms/{room}/edit",
    "/org/staff/{rec}/edit",
    "/org/staff/{rec}/deactivate",
    "/org/staff/{prac}/hours",
]


@pytest.mark.parametrize("page", OTHER_ORG_PAGES)
def test_objects_of_another_organization_are_not_found(
    web: Callable[[str], Any], clinic: Any, other_clinic: Any, page: str
) -> None:
    url = _url(page, other_clinic, _records(other_clinic))
    response = web("admin").get(url)
    assert response.status_code == 404
    assert other_clinic.patient.family_name.encode() not in response.content


def test_posting_to_another_organizations_patient_changes_nothing(
    web: Callable[[str], Any], other_clinic: Any
) -> None:
    url = f"/patients/{other_clinic.patient.pk}/medications/add"
    response = web("admin").post(url, {"medication-name": "X", "medication-drug_class": "other"})
    assert response.status_code == 404
    assert not Medication.objects.filter(patient=other_clinic.patient).exists()


def test_navigation_shows_only_the_links_of_the_role(web: Callable[[str], Any]) -> None:
    reception = web("reception").get("/").content.decode()
    assert 'href="/patients"' in reception
    assert 'href="/org/locations"' not in reception
    assert 'href="/audit"' not in reception
    auditor = web("auditor").get("/").content.decode()
    assert 'href="/org/locations"' in auditor
    assert 'href="/audit"' in auditor
    assert 'href="/patients/new"' not in auditor


def test_auditor_sees_organization_pages_without_edit_links(web: Callable[[str], Any]) -> None:
    html = web("auditor").get("/org/staff").content.decode()
    assert "/org/staff/new" not in html
    assert "/deactivate" not in html
    assert "/org/locations/new" not in web("auditor").get("/org/locations").content.decode()
