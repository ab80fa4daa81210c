"""What a signed-in patient sees and does: own appointments and course only, consents signed into
the same records staff use, side-effect reports into the graded check-in, guardian access."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from mesocare.audit.models import AuditEvent
from mesocare.patients.models import Consent
from mesocare.portal import accounts
from mesocare.portal.models import PortalAccess
from tests.factories import portal_client

SIGNATURE = "data:image/png;base64," + "iVBORw0KGgo" * 20


@pytest.fixture(autouse=True)
def _no_limits() -> Any:
    cache.clear()
    yield
    cache.clear()


signed_in_client = portal_client


@pytest.fixture
def two(make: Any) -> dict[str, Any]:
    anna = make.patient(email="anna@example.org")
    bruno = make.patient(given_name="Bruno", family_name="Verdi", email="bruno@example.org")
    plan = make.plan(anna, sessions=4)
    make.session(plan=plan, index=1, signed_at=timezone.now() - dt.timedelta(days=20))
    treated = make.session(plan=plan, index=2, signed_at=timezone.now() - dt.timedelta(hours=20))
    make.appointment(patient=anna, plan=plan, index=3)
    bruno_session = make.session(patient=bruno, signed_at=timezone.now() - dt.timedelta(hours=5))
    make.appointment(patient=bruno, start=timezone.now() + dt.timedelta(days=3))
    return {
        "anna": anna,
        "bruno": bruno,
        "plan": plan,
        "treated": treated,
        "bruno_session": bruno_session,
        "anna_account": accounts.ensure_account(anna),
        "bruno_account": accounts.ensure_account(bruno),
    }


def test_home_shows_own_course_and_appointments_only(
    two: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    client = signed_in_client(two["anna_account"])
    with django_assert_max_num_queries(16):
        page = client.get(reverse("portal:home"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Anna Bianchi" in html
    assert "Bruno" not in html
    assert "2 of 4 sessions done" in html
    assert "2 remaining (1 booked)" in html
    assert "session 3" in html
    assert "Before each session" in html and "After each session" in html
    assert AuditEvent.objects.filter(
        action="read", patient_id=two["anna"].pk, channel="portal"
    ).exists()


def test_another_patients_session_id_is_not_found(two: dict[str, Any]) -> None:
    client = signed_in_client(two["anna_account"])
    for tampered in (two["bruno_session"].pk, "abc", 2**70):
        response = client.get(reverse("portal:report_side_effect", args=[tampered]))
        assert response.status_code == 404
        assert "nothing here" in response.content.decode()


def test_switching_to_another_patients_record_is_refused(two: dict[str, Any]) -> None:
    client = signed_in_client(two["anna_account"])
    response = client.post(reverse("portal:switch"), {"patient": two["bruno"].pk})
    assert response.status_code == 404
    assert "Bruno" not in client.get(reverse("portal:home")).content.decode()


def test_side_effect_report_goes_into_the_graded_check_in(
    two: dict[str, Any], settings: Any
) -> None:
    client = signed_in_client(two["anna_account"])
    response = client.get(reverse("portal:report_side_effect", args=[two["treated"].pk]))
    assert response.status_code == 302
    form_url = response["Location"]
    assert form_url.startswith("/p/check-in/")
    answers = {
        "pain_vas": "6",
        "bruising": "severe",
        "swelling": "moderate",
        "redness": "mild",
        "fever": "on",
        "notes": "hot and swollen",
    }
    done = client.post(form_url, answers)
    assert done.status_code == 200
    from mesocare.charting.models import SideEffect
    from mesocare.notify.models import Alert

    effects = SideEffect.objects.filter(session=two["treated"], source="patient")
    assert effects.exists()
    assert max(e.grade for e in effects) >= 2
    assert Alert.objects.filter(patient_id=two["anna"].pk).exists()


def test_consent_is_signed_into_the_staff_consent_records(two: dict[str, Any]) -> None:
    client = signed_in_client(two["anna_account"])
    page = client.get(reverse("portal:consent", args=["treatment"]))
    assert page.status_code == 200 and "signature-pad" in page.content.decode()
    response = client.post(
        reverse("portal:consent", args=["treatment"]),
        {"kind": "treatment", "signature": SIGNATURE, "agree": "on"},
    )
    assert response.status_code == 302
    consent = Consent.objects.get(patient=two["anna"], kind="treatment")
    assert consent.version == "2026-1"
    assert consent.signature == SIGNATURE
    assert consent.signed_by == "Anna Bianchi"
    assert not Consent.objects.filter(patient=two["bruno"]).exists()
    # Signing the same version again is refused with a message, nothing added.
    again = client.post(
        reverse("portal:consent", args=["treatment"]),
        {"kind": "treatment", "signature": SIGNATURE, "agree": "on"},
    )
    assert again.status_code == 422
    assert "already signed" in again.content.decode()
    assert Consent.objects.filter(patient=two["anna"], kind="treatment").count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"signature": "", "agree": "on"}, "Draw your signature"),
        ({"signature": "data:text/html;base64,PHNjcmlwdD4=" * 5, "agree": "on"}, "Draw your"),
        ({"signature": SIGNATURE}, "required"),
        ({"signature": "data:image/png;base64," + "A" * 200_001, "agree": "on"}, "at most"),
    ],
)
def test_bad_consent_input_changes_nothing(
    two: dict[str, Any], data: dict[str, str], message: str
) -> None:
    client = signed_in_client(two["anna_account"])
    response = client.post(reverse("portal:consent", args=["general"]), {"kind": "general", **data})
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not Consent.objects.filter(patient=two["anna"]).exists()


def test_unknown_consent_kind_is_not_found(two: dict[str, Any]) -> None:
    client = signed_in_client(two["anna_account"])
    assert client.get(reverse("portal:consent", args=["guardian"])).status_code == 404


def test_guardian_opens_the_minors_record_after_a_guardian_consent(
    make: Any, two: dict[str, Any]
) -> None:
    minor = make.patient(
        given_name="Lia",
        family_name="Bianchi",
        birth_date=timezone.localdate() - dt.timedelta(days=365 * 15),
        email="",
    )
    with pytest.raises(accounts.Conflict):
        accounts.grant_guardian_access(minor, "anna@example.org")
    Consent.objects.create(
        organization=minor.organization,
        patient=minor,
        kind="guardian",
        version="1",
        signed_on=timezone.localdate(),
        signed_by="Anna Bianchi",
    )
    access = accounts.grant_guardian_access(minor, "anna@example.org")
    assert access.relation == "guardian"
    client = signed_in_client(two["anna_account"])
    home = client.get(reverse("portal:home")).content.decode()
    assert "Lia Bianchi" in home  # in the record switcher
    switched = client.post(reverse("portal:switch"), {"patient": minor.pk})
    assert switched.status_code == 302
    page = client.get(reverse("portal:home")).content.decode()
    assert "<h1>Lia Bianchi</h1>" in page
    # The guardian signs for the minor; the record names who signed.
    client.post(
        reverse("portal:consent", args=["general"]),
        {"kind": "general", "signature": SIGNATURE, "agree": "on"},
    )
    assert Consent.objects.get(patient=minor, kind="general").signed_by == "anna@example.org"
    # Revoked access ends the guardian's view of the minor at the next click.
    PortalAccess.objects.filter(pk=access.pk).delete()
    assert client.get(reverse("portal:home")).status_code == 302


def test_guardian_access_is_for_minors_only(two: dict[str, Any]) -> None:
    with pytest.raises(accounts.Invalid):
        accounts.grant_guardian_access(two["bruno"], "anna@example.org")


def test_account_of_another_organization_never_sees_this_one(
    two: dict[str, Any], other_make: Any
) -> None:
    elsewhere = other_make.patient(email="anna@example.org")
    other_account = accounts.ensure_account(elsewhere)
    assert other_account.pk != two["anna_account"].pk
    client = signed_in_client(other_account)
    html = client.get(reverse("portal:home")).content.decode()
    assert "sessions done" not in html
    assert client.post(reverse("portal:switch"), {"patient": two["anna"].pk}).status_code == 404
    response = client.get(reverse("portal:report_side_effect", args=[two["treated"].pk]))
    assert response.status_code == 404
