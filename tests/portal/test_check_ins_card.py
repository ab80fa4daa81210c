"""The "Patient check-ins" dashboard card (found missing by the browser journey): a grade-2
bruise raises no alert, yet the practitioner must see what the patient reported."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.utils import timezone

from mesocare.notify.links import CheckInLink
from mesocare.portal.grading import CheckInAnswers
from mesocare.portal.services import submit_check_in


def dashboard(clinic: Any, role: str) -> str:
    client = Client()
    client.force_login(clinic.user(role))
    return client.get("/").content.decode()


def test_a_moderate_bruise_reported_at_check_in_is_on_the_practitioners_dashboard(
    clinic: Any, make: Any, django_assert_max_num_queries: Any
) -> None:
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    data = CheckInLink(
        organization=clinic.org.pk, patient=session.patient_id, session=session.pk, when="24h"
    )
    response = submit_check_in(data, CheckInAnswers(pain_vas=0, bruising="moderate"))
    assert response.max_grade == 2 and response.alert is None  # below the alert threshold
    client = Client()
    client.force_login(clinic.user("practitioner"))
    with django_assert_max_num_queries(30):
        html = client.get("/").content.decode()
    assert "Patient check-ins" in html
    assert "Rossi, Giulia" in html and "Bruising grade 2" in html
    assert "Patient check-ins" not in dashboard(clinic, "reception")  # clinical data


def test_a_check_in_without_findings_is_not_listed(clinic: Any, make: Any) -> None:
    session = make.session(plan=make.plan(), signed_at=timezone.now())
    data = CheckInLink(
        organization=clinic.org.pk, patient=session.patient_id, session=session.pk, when="24h"
    )
    submit_check_in(data, CheckInAnswers(pain_vas=0))
    html = dashboard(clinic, "practitioner")
    assert "No side effects reported in the last 7 days." in html
