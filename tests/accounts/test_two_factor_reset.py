"""An administrator resets a member's second factor (a lost phone): staff page and API, audited,
only within the administrator's organization, only by those who manage staff."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_otp.plugins.otp_totp.models import TOTPDevice

from mesocare.audit.models import AuditEvent
from mesocare.clinics.models import Membership

pytestmark = pytest.mark.django_db


def _with_device(clinic: Any, role: str) -> TOTPDevice:
    return TOTPDevice.objects.create(user=clinic.user(role), name="authenticator", confirmed=True)


def _signed_in(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def test_an_admin_resets_a_members_authenticator_from_the_staff_page(clinic: Any) -> None:
    _with_device(clinic, "practitioner")
    member = clinic.members["practitioner"]
    admin = _signed_in(clinic, "admin")
    staff = admin.get("/org/staff").content.decode()
    assert f'href="/org/staff/{member.pk}/two-factor/reset"' in staff
    assert f'href="/org/staff/{clinic.members["reception"].pk}/two-factor/reset"' not in staff

    confirm = admin.get(f"/org/staff/{member.pk}/two-factor/reset")
    assert confirm.status_code == 200
    assert "Reset two-factor sign-in" in confirm.content.decode()
    assert TOTPDevice.objects.filter(user=member.user).exists()  # GET changes nothing

    done = admin.post(f"/org/staff/{member.pk}/two-factor/reset", follow=True)
    assert "reset" in done.content.decode()
    assert not TOTPDevice.objects.filter(user=member.user).exists()
    event = AuditEvent.objects.get(object_type="accounts.user", object_id=str(member.user.pk))
    assert event.action == "delete" and event.actor == clinic.user("admin")
    assert event.channel == "web"
    assert event.summary == f"Two-factor sign-in reset for {member.user.email}"

    # The member signs in with the password and sets up a new authenticator.
    assert _signed_in(clinic, "practitioner").get("/account/2fa/setup").status_code == 200


@pytest.mark.parametrize("role", ["practitioner", "reception", "auditor"])
def test_only_those_who_manage_staff_reset_an_authenticator(clinic: Any, role: str) -> None:
    _with_device(clinic, "admin")
    admin_membership = clinic.members["admin"].pk
    client = _signed_in(clinic, role)
    assert client.get(f"/org/staff/{admin_membership}/two-factor/reset").status_code == 403
    assert client.post(f"/org/staff/{admin_membership}/two-factor/reset").status_code == 403
    response = clinic.api(role).delete(f"staff/{admin_membership}/two-factor")
    assert response.status_code == 403
    assert TOTPDevice.objects.filter(user=clinic.user("admin")).exists()


def test_a_member_of_another_organization_is_not_found(clinic: Any, other_clinic: Any) -> None:
    _with_device(other_clinic, "practitioner")
    stranger = other_clinic.members["practitioner"].pk
    admin = _signed_in(clinic, "admin")
    assert admin.post(f"/org/staff/{stranger}/two-factor/reset").status_code == 404
    assert clinic.api("admin").delete(f"staff/{stranger}/two-factor").status_code == 404
    assert TOTPDevice.objects.filter(user=other_clinic.user("practitioner")).exists()


def test_the_api_resets_an_authenticator_once(clinic: Any) -> None:
    _with_device(clinic, "reception")
    member = clinic.members["reception"]
    api = clinic.api("admin")
    assert api.delete(f"staff/{member.pk}/two-factor").status_code == 204
    assert not TOTPDevice.objects.filter(user=member.user).exists()
    assert AuditEvent.objects.filter(
        object_type="accounts.user", object_id=str(member.user.pk), action="delete", channel="api"
    ).exists()
    again = api.delete(f"staff/{member.pk}/two-factor")
    assert again.status_code == 409
    assert again.json()["code"] == "no_second_factor"


def test_a_person_who_also_works_elsewhere_is_reset_by_an_operator_only(
    clinic: Any, other_clinic: Any
) -> None:
    """One clinic's administrator cannot weaken another clinic's sign-in."""
    device = _with_device(clinic, "practitioner")
    person = clinic.user("practitioner")
    Membership.objects.create(user=person, organization=other_clinic.org, role="practitioner")
    member = clinic.members["practitioner"].pk
    refused = clinic.api("admin").delete(f"staff/{member}/two-factor")
    assert refused.status_code == 403
    assert refused.json()["code"] == "reset_by_operator"
    assert TOTPDevice.objects.filter(pk=device.pk).exists()

    # An administrator of both organizations may.
    Membership.objects.create(
        user=clinic.user("admin"), organization=other_clinic.org, role="admin"
    )
    assert clinic.api("admin").delete(f"staff/{member}/two-factor").status_code == 204
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_the_operator_command_resets_an_authenticator_audited_in_each_organization(
    clinic: Any, other_clinic: Any
) -> None:
    device = _with_device(clinic, "admin")
    person = clinic.user("admin")
    Membership.objects.create(user=person, organization=other_clinic.org, role="auditor")
    out = io.StringIO()
    call_command("reset_two_factor", user=person.email.upper(), stdout=out)
    assert "reset" in out.getvalue()
    assert not TOTPDevice.objects.filter(user=person).exists()
    events = AuditEvent.objects.filter(object_type="accounts.user", object_id=str(person.pk))
    assert {e.organization_id for e in events} == {clinic.org.pk, other_clinic.org.pk}
    assert all(e.actor is None and e.changes["devices"] == [[device.pk], []] for e in events)

    with pytest.raises(CommandError, match="no authenticator"):
        call_command("reset_two_factor", user=person.email)
    with pytest.raises(CommandError, match="No user"):
        call_command("reset_two_factor", user="nobody@example.org")
