"""Safety pages: the patient panel (tab and htmx partial), the override dialog, the
overrides report and the rule settings page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from mesocare.patients.services import records, registry
from mesocare.safety.models import SafetyOverride, SafetyRuleSetting
from mesocare.safety.services import record_override, run_check

pytestmark = pytest.mark.django_db


def browser(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def pregnant(clinic: Any) -> None:
    registry.update_patient(
        clinic.actor(),
        clinic.patient,
        pregnancy_status="pregnant",
        pregnancy_status_on=dt.date.today(),
    )


def test_the_safety_tab_shows_blocks_in_red_with_rule_and_source(
    clinic: Any, django_assert_max_num_queries: Any
) -> None:
    pregnant(clinic)
    records.add_condition(clinic.actor(), clinic.patient, code="keloid_scarring")
    client = browser(clinic, "practitioner")
    with django_assert_max_num_queries(25):
        response = client.get(f"/patients/{clinic.patient.pk}/safety")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="finding block"' in html and "patient is recorded as pregnant" in html
    assert 'class="finding warn"' in html and "History of keloid scarring" in html
    assert "IJDVL" in html
    assert 'aria-current="page"' in html  # the Safety tab is registered and active


def test_the_htmx_partial_is_only_the_panel(clinic: Any) -> None:
    pregnant(clinic)
    response = browser(clinic, "reception").get(
        f"/patients/{clinic.patient.pk}/safety", HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section class="card safety-panel"')
    assert "<html" not in html


def test_a_stored_blocked_check_offers_the_override_dialog_to_practitioners(clinic: Any) -> None:
    pregnant(clinic)
    check = run_check(clinic.actor("reception"), clinic.patient, "check_in").check
    url = f"/patients/{clinic.patient.pk}/safety?check={check.pk}"
    assert "Override with a reason" in browser(clinic, "practitioner").get(url).content.decode()
    assert "Override with a reason" not in browser(clinic, "reception").get(url).content.decode()


def test_a_practitioner_overrides_through_the_dialog(clinic: Any) -> None:
    pregnant(clinic)
    check = run_check(clinic.actor("reception"), clinic.patient, "check_in").check
    client = browser(clinic, "practitioner")
    assert client.get(f"/safety/checks/{check.pk}/override").status_code == 200
    short = client.post(f"/safety/checks/{check.pk}/override", {"reason": "short"})
    assert short.status_code == 200 and not SafetyOverride.objects.exists()
    response = client.post(
        f"/safety/checks/{check.pk}/override", {"reason": "Negative test done in clinic"}
    )
    assert response.status_code == 302
    assert SafetyOverride.objects.get().codes == ["consent_missing", "pregnancy"]


def test_reception_cannot_open_the_override_dialog(clinic: Any) -> None:
    pregnant(clinic)
    check = run_check(clinic.actor("reception"), clinic.patient, "check_in").check
    client = browser(clinic, "reception")
    assert client.get(f"/safety/checks/{check.pk}/override").status_code == 403
    response = client.post(f"/safety/checks/{check.pk}/override", {"reason": "I want it done"})
    assert response.status_code == 403


def test_another_organizations_check_and_patient_are_404(clinic: Any, other_clinic: Any) -> None:
    pregnant(other_clinic)
    theirs = run_check(other_clinic.actor(), other_clinic.patient, "booking").check
    client = browser(clinic, "practitioner")
    assert client.get(f"/safety/checks/{theirs.pk}/override").status_code == 404
    assert client.get(f"/patients/{other_clinic.patient.pk}/safety").status_code == 404


def test_the_overrides_report_lists_overrides_for_auditors(
    clinic: Any, django_assert_max_num_queries: Any
) -> None:
    pregnant(clinic)
    for n in range(3):
        check = run_check(clinic.actor(), clinic.patient, "booking").check
        record_override(clinic.actor("practitioner"), check, f"Documented reason {n}")
    client = browser(clinic, "auditor")
    with django_assert_max_num_queries(10):
        response = client.get("/safety/overrides")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Documented reason 2" in html and "pregnan" in html.lower()
    assert browser(clinic, "practitioner").get("/safety/overrides").status_code == 403


def test_an_admin_tightens_a_rule_on_the_settings_page(clinic: Any) -> None:
    client = browser(clinic, "admin")
    page = client.get("/safety/rules").content.decode()
    assert "Make it block" in page and "non-negotiable" in page
    response = client.post("/safety/rules/autoimmune", {"severity": "block"})
    assert response.status_code == 302
    assert SafetyRuleSetting.objects.filter(code="autoimmune").exists()
    refused = client.post("/safety/rules/pregnancy", {"severity": "warn"}, follow=True)
    assert "cannot" in refused.content.decode() or "not loosen" in refused.content.decode()
    assert (
        browser(clinic, "practitioner")
        .post("/safety/rules/keloid_history", {"severity": "block"})
        .status_code
        == 403
    )
