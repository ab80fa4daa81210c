"""Plan pages: the patient's Plans tab, the plan page, state changes with confirmation, PDF."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from mesocare.assessments.services import record_assessment
from mesocare.catalog.models import Protocol
from mesocare.plans import services
from mesocare.plans.models import TreatmentPlan

pytestmark = pytest.mark.django_db


def signed_in(clinic: Any, role: str = "practitioner") -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def pain_plan(clinic: Any) -> TreatmentPlan:
    actor = clinic.actor("practitioner")
    baseline = record_assessment(actor, clinic.patient, scale_id="vas-pain", items={"score": 8})
    protocol = Protocol.objects.get(organization__isnull=True, code="pain_lidocaine")
    return services.create_plan(actor, clinic.patient, protocol=protocol, baseline=baseline)


def test_the_plans_tab_lists_plans_and_proposes_one(clinic: Any) -> None:
    client = signed_in(clinic)
    actor = clinic.actor("practitioner")
    baseline = record_assessment(actor, clinic.patient, scale_id="vas-pain", items={"score": 5})
    page = client.get(f"/patients/{clinic.patient.pk}/plans")
    assert page.status_code == 200
    assert b"Propose a plan" in page.content
    protocol = Protocol.objects.get(organization__isnull=True, code="pain_lidocaine")
    response = client.post(
        f"/patients/{clinic.patient.pk}/plans",
        {"protocol": protocol.pk, "baseline_assessment": baseline.pk, "start_on": "2030-05-06"},
    )
    plan = TreatmentPlan.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/plans/{plan.pk}"
    assert plan.sessions_planned == 4  # moderate


def test_a_plan_that_cannot_be_made_shows_the_reason_beside_the_form(clinic: Any) -> None:
    actor = clinic.actor("practitioner")
    baseline = record_assessment(actor, clinic.patient, scale_id="vas-pain", items={"score": 0})
    protocol = Protocol.objects.get(organization__isnull=True, code="pain_lidocaine")
    response = signed_in(clinic).post(
        f"/patients/{clinic.patient.pk}/plans",
        {"protocol": protocol.pk, "baseline_assessment": baseline.pk},
    )
    assert response.status_code == 200
    assert b"Nothing to treat" in response.content
    assert not TreatmentPlan.objects.exists()


def test_the_plan_page_shows_counts_windows_and_state_buttons(clinic: Any) -> None:
    plan = pain_plan(clinic)
    page = signed_in(clinic).get(f"/plans/{plan.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "planned" in html and "remaining" in html
    assert f"/plans/{plan.pk}/activate" in html and f"/plans/{plan.pk}/stop" in html
    assert f"/plans/{plan.pk}/pdf" in html


def test_activation_asks_for_confirmation_then_records_it(clinic: Any) -> None:
    plan = pain_plan(clinic)
    client = signed_in(clinic)
    confirm = client.get(f"/plans/{plan.pk}/activate")
    assert confirm.status_code == 200 and b"alertdialog" in confirm.content
    plan.refresh_from_db()
    assert plan.status == "proposed"
    response = client.post(f"/plans/{plan.pk}/activate", {"reason": "consented"})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert (plan.status, plan.status_reason) == ("active", "consented")


def test_stopping_without_reason_shows_the_error(clinic: Any) -> None:
    plan = pain_plan(clinic)
    response = signed_in(clinic).post(f"/plans/{plan.pk}/stop", {"reason": ""})
    assert response.status_code == 200
    assert b"Give a reason" in response.content
    plan.refresh_from_db()
    assert plan.status == "proposed"


def test_reviewing_from_the_plan_page_shows_the_outcome(clinic: Any) -> None:
    plan = pain_plan(clinic)
    services.change_status(clinic.actor(), plan, "activate")
    client = signed_in(clinic)
    page = client.get(f"/plans/{plan.pk}")
    assert b"Review with a new assessment" in page.content
    response = client.post(f"/plans/{plan.pk}", {"score": "9", "sessions_done": "3"})
    assert response.status_code == 302
    page = client.get(f"/plans/{plan.pk}")
    assert b"review_needed" in page.content
    assert b"switching protocol" in page.content


def test_the_printable_plan_is_a_pdf(clinic: Any) -> None:
    plan = pain_plan(clinic)
    response = signed_in(clinic).get(f"/plans/{plan.pk}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_another_clinics_plan_page_is_404(clinic: Any, other_clinic: Any) -> None:
    plan = pain_plan(other_clinic)
    client = signed_in(clinic)
    for url in (f"/plans/{plan.pk}", f"/plans/{plan.pk}/pdf", f"/plans/{plan.pk}/activate"):
        assert client.get(url).status_code == 404, url


def test_reception_cannot_open_plans(clinic: Any) -> None:
    plan = pain_plan(clinic)
    assert signed_in(clinic, "reception").get(f"/plans/{plan.pk}").status_code == 403


def test_plan_pages_are_bounded_in_queries(clinic: Any, django_assert_max_num_queries: Any) -> None:
    plans = [pain_plan(clinic) for _ in range(3)]
    client = signed_in(clinic)
    with django_assert_max_num_queries(30):
        assert client.get(f"/patients/{clinic.patient.pk}/plans").status_code == 200
    with django_assert_max_num_queries(30):
        assert client.get(f"/plans/{plans[0].pk}").status_code == 200
