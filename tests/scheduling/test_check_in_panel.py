"""Regression (found by the browser journey): after a check-in the panel showed neither the
safety check that check-in ran nor any way to open the treatment session from it."""

from __future__ import annotations

from typing import Any

from django.test import Client

from mesocare.charting.models import TreatmentSession
from mesocare.safety.models import SafetyCheck


def signed_in(sched: Any, role: str) -> Client:
    client = Client()
    client.force_login(sched.user(role))
    return client


def safe_to_treat(sched: Any, plan: Any, today: Any) -> None:
    """Intake complete on the day of treatment: pregnancy status, weight and a treatment
    consent for the plan's indication."""
    import datetime as dt
    from decimal import Decimal

    from mesocare.patients.models import Consent, Patient, Weight

    Patient.objects.filter(pk=sched.patient.pk).update(
        pregnancy_status="not_pregnant",
        pregnancy_status_on=today,
        breastfeeding=False,
        breastfeeding_on=today,
    )
    Weight.objects.create(
        organization=sched.org, patient=sched.patient, kg=Decimal(60), measured_on=today
    )
    Consent.objects.create(
        organization=sched.org,
        patient=sched.patient,
        kind="treatment",
        version="1",
        indication=plan.protocol.indication.code,
        signed_on=today - dt.timedelta(days=1),
    )


def booked(sched: Any, plan: Any, h: Any) -> int:
    safe_to_treat(sched, plan, h.day(0))
    r = sched.api("admin").post(f"plans/{plan.pk}/book", {"sessions": h.course(sched, [0])})
    assert r.status_code == 201, r.content
    return int(r.json()["appointments"][0]["id"])


def test_check_in_opens_the_panel_with_its_safety_check_and_the_session_button(
    sched: Any, plan: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    first = booked(sched, plan, h)
    desk = signed_in(sched, "reception")
    r = desk.post(
        f"/appointments/{first}/check-in",
        {"reason": "The patient came on another day."},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 204
    assert r["HX-Redirect"].endswith(f"&appointment={first}")
    calendar = desk.get(r["HX-Redirect"]).content.decode()
    assert f'hx-get="/appointments/{first}" hx-trigger="load"' in calendar

    check = SafetyCheck.objects.get(patient=sched.patient, moment="check_in")
    with django_assert_max_num_queries(30):
        panel = desk.get(f"/appointments/{first}", HTTP_HX_REQUEST="true").content.decode()
    assert f"/patients/{sched.patient.pk}/safety?check={check.pk}" in panel
    assert "Open the session" not in panel  # reception does not chart

    doctor = signed_in(sched, "practitioner")
    panel = doctor.get(f"/appointments/{first}", HTTP_HX_REQUEST="true").content.decode()
    assert f'action="/appointments/{first}/session"' in panel and "Open the session" in panel
    opened = doctor.post(f"/appointments/{first}/session")
    session = TreatmentSession.objects.get(appointment_id=first)
    assert opened.status_code == 302 and opened["Location"] == f"/sessions/{session.pk}"


def test_a_booked_appointment_has_no_session_button_yet(sched: Any, plan: Any, h: Any) -> None:
    first = booked(sched, plan, h)
    panel = signed_in(sched, "practitioner").get(f"/appointments/{first}").content.decode()
    assert "Open the session" not in panel and "safety?check=" not in panel
