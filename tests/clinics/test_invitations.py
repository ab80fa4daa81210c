"""Adding staff is an invitation: the answer never says whether the email has an account, the
link is single-use, and nothing crosses organizations."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client

from mesocare.accounts.models import User
from mesocare.audit.models import AuditEvent
from mesocare.clinics.models import Invitation, Membership

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


def _person_of(other_clinic: Any) -> User:
    """A practitioner of the other organization (an address the API's email check accepts)."""
    person = other_clinic.user("practitioner")
    person.email = "dr.shared@example.org"
    person.full_name = "Secret Name From Beta"
    person.save()
    return person


def _link(message: Any) -> str:
    found = re.search(r"https?://[^/\s]+(/invitations/\S+)", message.body)
    assert found, message.body
    return found.group(1)


def _shape(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k not in {"id", "email", "created_at", "expires_at"}}


def test_the_api_answer_is_the_same_whether_or_not_the_email_has_an_account(
    clinic: Any, other_clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    elsewhere = _person_of(other_clinic)
    api = clinic.api("admin")
    with django_capture_on_commit_callbacks(execute=True):
        known = api.post("staff", {"email": elsewhere.email, "role": "practitioner"})
        unknown = api.post("staff", {"email": "brand.new@example.org", "role": "practitioner"})
    assert known.status_code == unknown.status_code == 201
    assert known.json().keys() == unknown.json().keys()
    assert _shape(known.json()) == _shape(unknown.json())
    assert "Secret Name" not in known.content.decode()
    assert "password" not in known.content.decode()
    # nobody is attached silently: the person of the other clinic is not a member yet
    assert not Membership.objects.filter(user=elsewhere, organization=clinic.org).exists()
    assert not User.objects.filter(email="brand.new@example.org").exists()
    assert sorted(m.to for m in mail.outbox) == sorted(
        [[elsewhere.email], ["brand.new@example.org"]]
    )


def test_a_new_person_sets_name_and_password_and_the_link_works_once(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        clinic.api("admin").post("staff", {"email": "Nuova@Example.org", "role": "reception"})
    link = _link(mail.outbox[0])
    assert clinic.org.name in mail.outbox[0].body
    client = Client()
    page = client.get(link).content.decode()
    assert "Choose a password" in page and clinic.org.name in page
    response = client.post(
        link,
        {
            "full_name": "Nuova Persona",
            "password": "a long new pass 42",
            "password_again": "a long new pass 42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email="nuova@example.org")
    assert (user.full_name, user.check_password("a long new pass 42")) == ("Nuova Persona", True)
    assert Membership.objects.get(user=user, organization=clinic.org).role == "reception"
    assert client.get("/").status_code == 200  # signed in, in the inviting organization
    assert Client().get(link).status_code == 404  # single use
    actions = set(
        AuditEvent.objects.for_org(clinic.org)
        .filter(object_type__in=["clinics.invitation", "clinics.membership"])
        .values_list("object_type", "action")
    )
    assert ("clinics.invitation", "create") in actions
    assert ("clinics.membership", "create") in actions
    assert ("clinics.invitation", "update") in actions


def test_an_existing_user_signs_in_to_accept_and_sees_nothing_of_the_other_side(
    clinic: Any, other_clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    person = _person_of(other_clinic)
    with django_capture_on_commit_callbacks(execute=True):
        clinic.api("admin").post("staff", {"email": person.email, "role": "practitioner"})
    link = _link(mail.outbox[0])
    anonymous = Client().get(link).content.decode()
    assert "Sign in" in anonymous and "Choose a password" not in anonymous
    client = Client()
    client.force_login(person)
    page = client.get(link).content.decode()
    assert clinic.org.name in page
    assert client.post(link).status_code == 302
    assert Membership.objects.get(user=person, organization=clinic.org).role == "practitioner"
    person.refresh_from_db()
    assert person.check_password(PASSWORD)  # their password is untouched
    # the inviting admin's staff list shows the person, never their other organization
    staff = clinic.api("admin").get("staff").content.decode()
    assert other_clinic.org.name not in staff


def test_someone_else_signed_in_cannot_accept(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        clinic.api("admin").post("staff", {"email": "invitee@example.org", "role": "auditor"})
    intruder = Client()
    intruder.force_login(clinic.user("reception"))
    link = _link(mail.outbox[0])
    assert intruder.post(link).status_code == 403
    assert not Membership.objects.filter(user__email="invitee@example.org").exists()


def test_admins_list_and_revoke_invitations_and_a_revoked_link_is_dead(
    clinic: Any, other_clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    api = clinic.api("admin")
    with django_capture_on_commit_callbacks(execute=True):
        created = api.post("staff", {"email": "later@example.org", "role": "reception"}).json()
    listed = api.get("staff/invitations").json()
    assert [(i["email"], i["status"]) for i in listed] == [("later@example.org", "pending")]
    assert other_clinic.api("admin").delete(f"staff/invitations/{created['id']}").status_code == 404
    assert clinic.api("practitioner").get("staff/invitations").status_code == 403
    assert api.delete(f"staff/invitations/{created['id']}").status_code == 204
    assert api.get("staff/invitations").json()[0]["status"] == "revoked"
    assert Client().get(_link(mail.outbox[0])).status_code == 404
    assert AuditEvent.objects.filter(object_type="clinics.invitation", action="delete").exists()


def test_inviting_again_replaces_the_old_link(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    api = clinic.api("admin")
    with django_capture_on_commit_callbacks(execute=True):
        api.post("staff", {"email": "twice@example.org", "role": "reception"})
        api.post("staff", {"email": "twice@example.org", "role": "practitioner"})
    first, second = (_link(m) for m in mail.outbox)
    assert Client().get(first).status_code == 404
    assert Client().get(second).status_code == 200
    assert Invitation.objects.filter(email="twice@example.org", revoked_at=None).count() == 1


def test_only_the_token_hash_is_stored(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        clinic.api("admin").post("staff", {"email": "hash@example.org", "role": "reception"})
    token = _link(mail.outbox[0]).rsplit("/", 1)[1]
    assert not Invitation.objects.filter(token_hash__contains=token).exists()


def test_a_member_of_this_organization_is_refused_as_before(clinic: Any) -> None:
    member = clinic.user("reception")
    member.email = "front.desk@example.org"
    member.save()
    response = clinic.api("admin").post("staff", {"email": member.email, "role": "admin"})
    assert response.status_code == 409
