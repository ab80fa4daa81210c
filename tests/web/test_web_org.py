"""Organization pages: locations with opening hours, rooms, staff, working hours."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from mesocare.accounts.models import User
from mesocare.clinics.models import Invitation, Location, Membership, Room, WorkingHours

pytestmark = pytest.mark.django_db


def _hours(rows: list[tuple[int, str, str]], extra: int = 0) -> dict[str, Any]:
    data: dict[str, Any] = {
        "hours-TOTAL_FORMS": str(len(rows) + extra),
        "hours-INITIAL_FORMS": "0",
        "hours-MIN_NUM_FORMS": "0",
        "hours-MAX_NUM_FORMS": "1000",
    }
    for i, (day, opens, closes) in enumerate(rows):
        data.update(
            {f"hours-{i}-weekday": day, f"hours-{i}-opens": opens, f"hours-{i}-closes": closes}
        )
    for i in range(len(rows), len(rows) + extra):
        data.update({f"hours-{i}-weekday": 0, f"hours-{i}-opens": "", f"hours-{i}-closes": ""})
    return data


def test_creating_a_location_with_opening_hours_and_a_lunch_break(
    web: Callable[[str], Any], clinic: Any
) -> None:
    data = {
        "name": "Milano Centro",
        "timezone": "Europe/Rome",
        "address": "Via Roma 1",
        "is_active": "on",
        **_hours([(0, "09:00", "13:00"), (0, "14:00", "19:00"), (5, "09:00", "12:00")], extra=2),
    }
    response = web("admin").post("/org/locations/new", data)
    assert response.status_code == 302
    location = Location.objects.get(organization=clinic.org, name="Milano Centro")
    hours = [
        (h.weekday, h.opens, h.closes) for h in location.opening_hours.order_by("weekday", "opens")
    ]
    assert hours == [
        (0, dt.time(9), dt.time(13)),
        (0, dt.time(14), dt.time(19)),
        (5, dt.time(9), dt.time(12)),
    ]


def test_location_form_errors_appear_beside_the_fields_and_nothing_is_stored(
    web: Callable[[str], Any], clinic: Any
) -> None:
    data = {"name": "", "timezone": "Europe/Rome", **_hours([(1, "18:00", "09:00")])}
    html = web("admin").post("/org/locations/new", data).content.decode()
    assert 'id="id_name_error"' in html
    assert "Must be later than the start time." in html
    overlapping = {
        "name": "Overlap",
        "timezone": "Europe/Rome",
        **_hours([(1, "09:00", "13:00"), (1, "12:00", "18:00")]),
    }
    html = web("admin").post("/org/locations/new", overlapping).content.decode()
    assert "Intervals on the same day overlap." in html
    assert not Location.objects.filter(name__in=["", "Overlap"]).exists()


def test_editing_a_location_prefills_its_hours(web: Callable[[str], Any], clinic: Any) -> None:
    clinic.location.opening_hours.create(weekday=2, opens=dt.time(8), closes=dt.time(12))
    html = web("admin").get(f"/org/locations/{clinic.location.pk}/edit").content.decode()
    assert 'value="08:00"' in html
    assert clinic.location.name in html


def test_rooms_are_created_and_listed(web: Callable[[str], Any], clinic: Any) -> None:
    client = web("admin")
    response = client.post(
        "/org/rooms/new",
        {"location": clinic.location.pk, "name": "Body 1", "kind": "body", "is_active": "on"},
    )
    assert response.status_code == 302
    assert Room.objects.filter(organization=clinic.org, name="Body 1", kind="body").exists()
    assert "Body 1" in client.get("/org/rooms").content.decode()


def test_a_room_cannot_be_put_in_another_organizations_location(
    web: Callable[[str], Any], other_clinic: Any
) -> None:
    response = web("admin").post(
        "/org/rooms/new", {"location": other_clinic.location.pk, "name": "X", "kind": "body"}
    )
    assert 'id="id_location_error"' in response.content.decode()
    assert not Room.objects.filter(name="X").exists()


def test_adding_staff_sends_an_invitation_and_shows_no_password(
    web: Callable[[str], Any], clinic: Any, other_clinic: Any
) -> None:
    """The page says the same for an unknown address and for someone of another clinic."""
    client = web("admin")
    answers = []
    for email in ("New.Person@Example.org", other_clinic.user("practitioner").email):
        response = client.post("/org/staff/new", {"email": email, "role": "practitioner"})
        answers.append((response.status_code, response["Location"]))
        html = client.get(response["Location"]).content.decode()
        assert f"Invitation sent to {email.lower()}" in html
        assert 'class="secret"' not in html
        assert other_clinic.org.name not in html
        assert other_clinic.user("practitioner").full_name not in html
    assert answers[0] == answers[1]
    assert not User.objects.filter(email="new.person@example.org").exists()
    assert not Membership.objects.filter(
        organization=clinic.org, user=other_clinic.user("practitioner")
    ).exists()
    staff_page = client.get("/org/staff").content.decode()
    assert "Pending invitations" in staff_page and "new.person@example.org" in staff_page


def test_an_admin_revokes_an_invitation_from_the_staff_page(
    web: Callable[[str], Any], clinic: Any
) -> None:
    client = web("admin")
    client.post("/org/staff/new", {"email": "gone@example.org", "role": "reception"})
    invitation = Invitation.objects.get(email="gone@example.org")
    assert f"/org/invitations/{invitation.pk}/revoke" in client.get("/org/staff").content.decode()
    client.post(f"/org/invitations/{invitation.pk}/revoke")
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert web("practitioner").post(f"/org/invitations/{invitation.pk}/revoke").status_code == 403


def test_adding_an_existing_member_again_is_refused_on_the_form(
    web: Callable[[str], Any], clinic: Any
) -> None:
    email = clinic.user("reception").email
    html = web("admin").post("/org/staff/new", {"email": email, "role": "admin"}).content.decode()
    assert "already a member" in html
    assert Membership.objects.get(user__email=email, organization=clinic.org).role == "reception"


def test_changing_a_role_and_deactivating_after_confirmation(
    web: Callable[[str], Any], clinic: Any
) -> None:
    client = web("admin")
    member = clinic.members["reception"]
    client.post(f"/org/staff/{member.pk}/edit", {"role": "practitioner", "title": "Dr."})
    member.refresh_from_db()
    assert (member.role, member.title) == ("practitioner", "Dr.")
    confirm = client.get(f"/org/staff/{member.pk}/deactivate")
    assert "Deactivate" in confirm.content.decode()
    member.refresh_from_db()
    assert member.is_active
    client.post(f"/org/staff/{member.pk}/deactivate")
    member.refresh_from_db()
    assert not member.is_active


def test_an_admin_cannot_remove_their_own_admin_access(
    web: Callable[[str], Any], clinic: Any
) -> None:
    admin = clinic.members["admin"]
    html = web("admin").post(f"/org/staff/{admin.pk}/edit", {"role": "auditor"}).content.decode()
    assert "own administrator access" in html
    admin.refresh_from_db()
    assert admin.role == "admin"


def test_working_hours_per_practitioner_and_location(
    web: Callable[[str], Any], clinic: Any
) -> None:
    practitioner = clinic.members["practitioner"]
    url = f"/org/staff/{practitioner.pk}/hours"
    data = {
        "location": clinic.location.pk,
        **_hours([(0, "09:00", "13:00"), (3, "14:00", "20:00")]),
    }
    response = web("admin").post(url, data)
    assert response.status_code == 302
    hours = WorkingHours.objects.filter(membership=practitioner, location=clinic.location)
    assert sorted((h.weekday, h.opens) for h in hours) == [(0, dt.time(9)), (3, dt.time(14))]
    assert "14:00" in web("auditor").get(url).content.decode()
    assert web("auditor").post(url, data).status_code == 403


def test_org_list_pages_have_bounded_queries(
    web: Callable[[str], Any], clinic: Any, django_assert_max_num_queries: Any
) -> None:
    for i in range(10):
        loc = Location.objects.create(organization=clinic.org, name=f"L{i}", timezone="UTC")
        loc.opening_hours.create(weekday=1, opens=dt.time(9), closes=dt.time(17))
        Room.objects.create(organization=clinic.org, location=loc, name=f"R{i}", kind="general")
    client = web("admin")
    # the staff page also reads pending invitations and locked-out accounts (one query each)
    for url, budget in (("/org/locations", 10), ("/org/rooms", 10), ("/org/staff", 12)):
        with django_assert_max_num_queries(budget):
            assert client.get(url).status_code == 200
