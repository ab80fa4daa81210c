"""Staff manage a patient's portal access from the patient's page: a sign-in link by email, a
guardian's access to a minor's record (only with a guardian consent on file), removing it,
switching an account off and on; audited as the staff member, refused to roles that may not
edit patients, and never reaching another organization's accounts."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from mesocare.audit.models import AuditEvent
from mesocare.patients.models import Consent, Patient
from mesocare.portal.accounts import ensure_account
from mesocare.portal.models import PortalAccess, PortalAccount

pytestmark = pytest.mark.django_db


def _client(clinic: Any, role: str = "reception") -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def _minor(clinic: Any, *, consent: bool) -> Patient:
    minor = Patient.objects.create(
        organization=clinic.org,
        given_name="Luca",
        family_name="Verdi",
        birth_date=dt.date.today() - dt.timedelta(days=365 * 15),
        sex_at_birth="male",
    )
    if consent:
        Consent.objects.create(
            organization=clinic.org,
            patient=minor,
            kind="guardian",
            version="2026-1",
            signed_on=dt.date.today(),
            signed_by="Maria Verdi",
        )
    return minor


def _url(patient: Patient, action: str = "") -> str:
    if not action:
        return reverse("web:patient-portal", kwargs={"patient_id": patient.pk})
    return reverse("web:patient-portal-change", kwargs={"patient_id": patient.pk, "action": action})


def test_reception_emails_a_sign_in_link_and_the_account_appears(clinic: Any) -> None:
    clinic.patient.email = "giulia@example.org"
    clinic.patient.save()
    client = _client(clinic)
    page = client.get(_url(clinic.patient))
    assert "Nobody has signed in to this record yet" in page.content.decode()
    done = client.post(_url(clinic.patient, "link"), follow=True)
    html = done.content.decode()
    assert "A sign-in link is on its way to giulia@example.org" in html
    assert [m.to for m in mail.outbox] == [["giulia@example.org"]]
    assert "giulia@example.org" in html and "The patient" in html
    event = AuditEvent.objects.filter(summary="portal sign-in link sent").get()
    assert event.actor == clinic.user("reception") and event.patient_id == clinic.patient.pk


def test_a_guardian_needs_a_consent_on_file_and_then_gets_access(clinic: Any) -> None:
    client = _client(clinic)
    without = _minor(clinic, consent=False)
    refused = client.post(_url(without, "guardian"), {"email": "maria@example.org"})
    assert refused.status_code == 422
    assert "Record a guardian consent for this patient first." in refused.content.decode()
    assert not PortalAccess.objects.filter(patient=without).exists()

    minor = _minor(clinic, consent=True)
    bad = client.post(_url(minor, "guardian"), {"email": "not an email"})
    assert bad.status_code == 422 and "Enter a valid email address." in bad.content.decode()
    client.post(_url(minor, "guardian"), {"email": "Maria@Example.org"})
    access = PortalAccess.objects.get(patient=minor)
    assert access.relation == "guardian" and access.account.email == "maria@example.org"
    assert "Guardian" in client.get(_url(minor)).content.decode()

    client.post(_url(minor, "remove"), {"access": access.pk})
    assert not PortalAccess.objects.filter(patient=minor).exists()
    assert AuditEvent.objects.filter(summary__startswith="portal access of maria").exists()


def test_switching_an_account_off_stops_sign_in_links_and_on_again(clinic: Any) -> None:
    clinic.patient.email = "giulia@example.org"
    clinic.patient.save()
    account = ensure_account(clinic.patient)
    access = PortalAccess.objects.get(account=account)
    client = _client(clinic)
    client.post(_url(clinic.patient, "deactivate"), {"access": access.pk})
    account.refresh_from_db()
    assert account.is_active is False
    assert "switched off" in client.get(_url(clinic.patient)).content.decode()
    Client().post(reverse("portal:sign_in"), {"email": "giulia@example.org"})
    assert mail.outbox == []  # a switched-off account gets no sign-in link
    client.post(_url(clinic.patient, "reactivate"), {"access": access.pk})
    account.refresh_from_db()
    assert account.is_active is True


def test_the_auditor_sees_the_page_but_may_not_change_it(clinic: Any) -> None:
    clinic.patient.email = "giulia@example.org"
    clinic.patient.save()
    account = ensure_account(clinic.patient)
    client = _client(clinic, "auditor")
    page = client.get(_url(clinic.patient)).content.decode()
    assert "giulia@example.org" in page and "Switch off" not in page
    access = PortalAccess.objects.get(account=account)
    assert client.post(_url(clinic.patient, "deactivate"), {"access": access.pk}).status_code == 403
    assert PortalAccount.objects.get(pk=account.pk).is_active is True


def test_another_organizations_access_is_not_found_and_unchanged(
    clinic: Any, other_clinic: Any
) -> None:
    other_clinic.patient.email = "someone@example.org"
    other_clinic.patient.save()
    foreign = PortalAccess.objects.get(account=ensure_account(other_clinic.patient))
    client = _client(clinic)
    page = client.post(_url(clinic.patient, "deactivate"), {"access": foreign.pk})
    assert page.status_code == 422
    assert "This portal access does not exist." in page.content.decode()
    assert PortalAccount.objects.get(pk=foreign.account_id).is_active is True
    assert client.get(_url(other_clinic.patient)).status_code == 404
