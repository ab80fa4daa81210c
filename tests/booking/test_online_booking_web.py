"""Staff pages of online booking: settings and services (admin), the queue of
patient-reported intake (clinical roles read it, audited; confirming is clinical), and the
"online" badge in the appointment panel."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.test import Client
from django.urls import reverse

from mesocare.audit.models import AuditEvent
from mesocare.booking.models import IntakeSubmission, OnlineService
from mesocare.booking.services.intake import IntakeAnswers, Visitor, book_consultation
from mesocare.booking.services.setup import settings_of
from mesocare.booking.services.slots import find_slots, place_hold


def _client(clinic: Any, role: str) -> Client:
    client = Client()
    client.force_login(clinic.user(role))
    return client


def _book(online: Any, email: str, **answers: Any) -> Any:
    slots = find_slots(online.org.pk, online.service, online.location, online.monday, online.monday)
    slot = slots[IntakeSubmission.objects.count() * 4]  # a time nobody booked yet
    _hold, raw = place_hold(
        online.org.pk,
        online.service,
        online.location,
        slot.practitioner_id,
        slot.room_id,
        slot.start,
    )
    visitor = Visitor("Anna", "Bianchi", dt.date(1984, 2, 3), "female", email)
    return book_consultation(online.org, raw, visitor, IntakeAnswers(**answers))


def test_admin_sets_up_online_booking_and_a_service(online: Any) -> None:
    client = _client(online, "admin")
    page = client.post(
        reverse("web:online-booking"),
        {"enabled": "on", "cutoff_hours": "48", "policy_text": "Deposit: €20."},
    )
    assert page.status_code == 302
    assert settings_of(online.org.pk).cutoff_hours == 48
    created = client.post(
        reverse("web:online-service-new"),
        {
            "name": "Hair loss consultation",
            "kind": "consultation",
            "bookable_online": "on",
            "duration_min": "20",
            "price_text": "€50",
            "lead_time_hours": "4",
            "booking_horizon_days": "30",
        },
    )
    assert created.status_code == 302, created.content.decode()[:3000]
    service = OnlineService.objects.get(name="Hair loss consultation")
    assert service.lead_time_hours == 4 and service.cutoff_hours is None
    assert "Hair loss consultation" in client.get(reverse("web:online-booking")).content.decode()


def test_bad_service_input_re_renders_next_to_the_field(online: Any) -> None:
    client = _client(online, "admin")
    page = client.post(
        reverse("web:online-service-new"),
        {
            "name": "First consultation",
            "kind": "consultation",
            "duration_min": "1",
            "lead_time_hours": "2",
            "booking_horizon_days": "30",
        },
    )
    assert page.status_code == 200
    assert 'id="id_duration_min_error"' in page.content.decode()


def test_only_admins_change_online_booking(online: Any) -> None:
    for role in ("practitioner", "reception", "auditor"):
        assert _client(online, role).get(reverse("web:online-booking")).status_code == 403


def test_the_intake_queue_shows_flagged_first_and_is_audited(
    online: Any, django_assert_max_num_queries: Any
) -> None:
    _book(online, "ok@example.com", weight_kg=Decimal("60"), pregnancy_status="not_pregnant")
    _book(online, "stop@example.com", pregnancy_status="pregnant")
    client = _client(online, "practitioner")
    with django_assert_max_num_queries(20):
        page = client.get(reverse("web:online-booking-intake"))
    text = page.content.decode()
    assert text.count("Confirm</button>") == 2
    assert AuditEvent.objects.filter(summary__startswith="online intake shown").count() == 2
    first = IntakeSubmission.objects.order_by("-flagged").first()
    assert first is not None and first.flagged
    assert _client(online, "reception").get(reverse("web:online-booking-intake")).status_code == 403


def test_a_practitioner_confirms_patient_reported_intake_once(online: Any) -> None:
    outcome = _book(
        online, "ok@example.com", weight_kg=Decimal("60"), pregnancy_status="not_pregnant"
    )
    client = _client(online, "practitioner")
    url = reverse("web:online-booking-intake-confirm", args=[outcome.submission.pk])
    assert client.post(url).status_code == 302
    outcome.submission.refresh_from_db()
    assert outcome.submission.status == "confirmed"
    assert outcome.submission.confirmed_by == online.user("practitioner")
    again = client.post(url, follow=True)
    assert "confirmed already" in again.content.decode()


def test_another_organization_cannot_confirm(online: Any, other_clinic: Any) -> None:
    outcome = _book(
        online, "ok@example.com", weight_kg=Decimal("60"), pregnancy_status="not_pregnant"
    )
    url = reverse("web:online-booking-intake-confirm", args=[outcome.submission.pk])
    assert _client(other_clinic, "admin").post(url).status_code == 404
    outcome.submission.refresh_from_db()
    assert outcome.submission.status == "to_confirm"


def test_the_appointment_panel_shows_the_online_badge(online: Any) -> None:
    outcome = _book(
        online, "ok@example.com", weight_kg=Decimal("60"), pregnancy_status="not_pregnant"
    )
    page = _client(online, "reception").get(
        reverse("web:appointment-panel", args=[outcome.appointment.pk])
    )
    assert "Booked by the patient online" in page.content.decode()
