"""Booking from the calendar: an empty slot opens the booking form (date, time and column
filled in), the patient is found inside the form, conflicts are explained beside it, and the
booked appointment opens on the calendar. Course sessions stay with the plan's wizard."""

from __future__ import annotations

from typing import Any

from django.test import Client

from mesocare.audit.models import AuditEvent
from mesocare.patients.models import Patient
from mesocare.scheduling.models import Appointment

from .conftest import at, day


def signed_in(sched: Any, role: str = "reception") -> Client:
    client = Client()
    client.force_login(sched.user(role))
    return client


def slot(sched: Any, hour: int = 10, **extra: Any) -> dict[str, Any]:
    values = {
        "location": sched.location.pk,
        "date": day(1).isoformat(),
        "time": f"{hour:02d}:00",
        "duration_min": 30,
        "practitioner": sched.members["practitioner"].pk,
        "room": sched.room.pk,
        "notes": "First consultation",
    }
    values.update(extra)
    return values


def test_empty_slots_of_the_day_grid_carry_their_time_and_open_a_prefilled_form(
    sched: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(sched)
    page = client.get(f"/calendar?location={sched.location.pk}&date={day(1).isoformat()}")
    html = page.content.decode()
    assert 'class="free" data-slot="10:00" data-col="0"' in html
    assert f'data-key="{sched.members["practitioner"].pk}"' in html
    assert "New appointment" in html
    url = (
        f"/calendar/book?location={sched.location.pk}&date={day(1).isoformat()}&time=10:00"
        f"&practitioner={sched.members['practitioner'].pk}"
    )
    with django_assert_max_num_queries(15):
        form = client.get(url, HTTP_HX_REQUEST="true")
    assert form.status_code == 200
    body = form.content.decode()
    assert 'value="10:00"' in body and f'value="{day(1).isoformat()}"' in body
    assert "30 minutes" in body and "<h1>" not in body  # the panel, not a page
    full = client.get(url)  # without JavaScript: a page of its own
    assert "<h1>New appointment</h1>" in full.content.decode()


def test_the_patient_search_inside_the_form_offers_choices_and_is_audited(sched: Any) -> None:
    client = signed_in(sched)
    r = client.get("/calendar/book/patients?q=Rossi", HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert f'name="patient" value="{sched.patient.pk}"' in r.content.decode()
    event = AuditEvent.objects.filter(summary__startswith="booking patient search").get()
    assert sched.patient.pk in event.patient_ids
    empty = client.get("/calendar/book/patients?q=Nobody", HTTP_HX_REQUEST="true")
    assert "No patient matches." in empty.content.decode()


def test_booking_a_slot_books_it_and_opens_it_on_the_calendar(sched: Any) -> None:
    r = signed_in(sched).post(
        "/calendar/book", slot(sched, patient=sched.patient.pk), HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 204, r.content
    appointment = Appointment.objects.get()
    assert appointment.start == at(day(1), 10)
    assert (appointment.end - appointment.start).seconds == 30 * 60
    assert appointment.notes == "First consultation" and appointment.plan is None
    assert r["HX-Redirect"].endswith(f"date={day(1).isoformat()}&appointment={appointment.pk}")


def test_a_taken_slot_is_explained_beside_the_form_and_nothing_is_booked(sched: Any) -> None:
    client = signed_in(sched)
    client.post("/calendar/book", slot(sched, patient=sched.patient.pk), HTTP_HX_REQUEST="true")
    other = Patient.objects.create(
        organization=sched.org, given_name="Luca", family_name="Neri", birth_date="1990-01-01"
    )
    r = client.post(
        "/calendar/book", slot(sched, patient=other.pk, time="10:15"), HTTP_HX_REQUEST="true"
    )
    assert r.status_code == 200  # swapped into the panel
    html = r.content.decode()
    assert 'role="alert"' in html and "The practitioner is busy then." in html
    assert f'value="{other.pk}" checked' in html  # the chosen patient is kept
    assert Appointment.objects.count() == 1
    outside = client.post("/calendar/book", slot(sched, patient=other.pk, hour=7))
    assert outside.status_code == 409
    assert Appointment.objects.count() == 1


def test_missing_patient_and_bad_values_are_named_beside_their_fields(sched: Any) -> None:
    r = signed_in(sched).post("/calendar/book", slot(sched, duration_min=7))
    assert r.status_code == 422
    html = r.content.decode()
    assert "Search for the patient and choose one." in html
    assert "Select a valid choice" in html
    assert not Appointment.objects.exists()


def test_the_auditor_cannot_book_and_an_unknown_location_is_404(sched: Any) -> None:
    assert (
        signed_in(sched, "auditor").get(f"/calendar/book?location={sched.location.pk}").status_code
        == 403
    )
    assert signed_in(sched).get("/calendar/book?location=999999").status_code == 404
