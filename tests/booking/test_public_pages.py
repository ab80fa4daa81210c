"""The public booking pages end to end through Django's test client: a new patient finds a
slot, fills in the intake and books; a pregnant patient is asked to call; a lost race shows
the next free times; robots (honeypot, no proof of work) and floods (rate limits) are
refused; bad input re-renders with the message next to the field."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mesocare.booking.choices import IntakeOutcome
from mesocare.booking.models import Hold, IntakeSubmission, OnlineAppointment
from mesocare.booking.services import abuse
from mesocare.booking.services.slots import find_slots, one_per_start, place_hold
from mesocare.notify.models import OutboxMessage
from mesocare.patients.models import Allergy, Patient
from mesocare.scheduling.models import Appointment


@pytest.fixture(autouse=True)
def _easy_work(settings: Any) -> None:
    settings.MESOCARE_ONLINE_BOOKING_POW_BITS = 4


def _work(html: str) -> dict[str, str]:
    token = re.search(r'name="pow_token" value="([^"]+)"', html)
    assert token, "every public form carries a proof-of-work challenge"
    return {"pow_token": token.group(1), "pow_nonce": abuse.solve(token.group(1), 4)}


def _details(**over: Any) -> dict[str, Any]:
    data = {
        "given_name": "Anna",
        "family_name": "Bianchi",
        "birth_date": "1984-02-03",
        "sex_at_birth": "female",
        "email": "anna@example.com",
        "phone": "+39 333 000 1111",
        "allergy_answer": "yes",
        "allergies": "lidocaine",
        "medication_classes": [],
        "medications": "",
        "conditions": [],
        "pregnancy_status": "not_pregnant",
        "breastfeeding": "no",
        "childbearing_potential": "yes",
        "weight_kg": "61.5",
        "accept_policy": "on",
        "website": "",
    }
    data.update(over)
    return data


def _hold_first(client: Client, online: Any) -> tuple[str, str]:
    """Open the day's times, pick the first; returns the details URL and its page."""
    url = reverse("booking:slots", args=[online.org.slug])
    page = client.get(
        url,
        {"location": online.location.pk, "service": online.service.pk, "day": online.monday},
    )
    assert page.status_code == 200
    html = page.content.decode()
    slot = re.search(r'name="slot" value="([^"]+)"', html)
    assert slot, "the Monday has free times"
    held = client.post(
        reverse("booking:hold", args=[online.org.slug]),
        {
            "location": online.location.pk,
            "service": online.service.pk,
            "slot": slot.group(1),
            **_work(html),
        },
    )
    assert held.status_code == 302, held.content.decode()[:500]
    details = client.get(held["Location"])
    return held["Location"], details.content.decode()


def test_new_patient_books_a_consultation_with_patient_reported_intake(
    online: Any, django_assert_max_num_queries: Any
) -> None:
    client = Client()
    with django_assert_max_num_queries(12):
        home = client.get(reverse("booking:home", args=[online.org.slug]))
    assert "First consultation" in home.content.decode() and "€60" in home.content.decode()
    url, html = _hold_first(client, online)
    assert "Cancel up to 24 hours before" in html  # the policy is shown before confirming
    done = client.post(url, {**_details(), **_work(html)})
    assert done.status_code == 302, done.content.decode()[:2000]
    page = client.get(done["Location"]).content.decode()
    assert "You are booked" in page
    patient = Patient.objects.get(email="anna@example.com")
    appointment = Appointment.objects.get(patient=patient)
    assert OnlineAppointment.objects.filter(appointment=appointment).exists()
    allergy = Allergy.objects.get(patient=patient)
    assert allergy.recorded_by.full_name == "Online booking"  # patient-reported provenance
    submission = IntakeSubmission.objects.get(patient=patient)
    assert submission.outcome == IntakeOutcome.BOOKED and submission.status == "to_confirm"
    assert OutboxMessage.objects.filter(patient=patient, kind="booking_confirmation").exists()


def test_a_pregnant_patient_is_asked_to_call_and_the_record_is_flagged(online: Any) -> None:
    client = Client()
    url, html = _hold_first(client, online)
    online.location.phone = "+39 02 1234567"
    online.location.save()
    page = client.post(url, {**_details(pregnancy_status="pregnant"), **_work(html)})
    text = page.content.decode()
    assert page.status_code == 200
    assert "Please call the clinic" in text and "+39 02 1234567" in text
    assert "pregnan" not in text.lower().replace("are you pregnant", "")  # nothing clinical
    submission = IntakeSubmission.objects.get(patient__email="anna@example.com")
    assert submission.flagged and submission.outcome == IntakeOutcome.STOPPED
    assert not Appointment.objects.filter(patient=submission.patient).exists()
    assert Hold.objects.get().released_at is not None  # the time is free again


def test_a_taken_slot_shows_the_next_free_times_not_an_error(online: Any) -> None:
    client = Client()
    url = reverse("booking:slots", args=[online.org.slug])
    html = client.get(
        url, {"location": online.location.pk, "service": online.service.pk, "day": online.monday}
    ).content.decode()
    first = re.search(r'name="slot" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    practitioner, room, start = first.split("|", 2)
    slots = find_slots(online.org.pk, online.service, online.location, online.monday, online.monday)
    taken = [s for s in slots if s.value == first][0]
    place_hold(
        online.org.pk,
        online.service,
        online.location,
        taken.practitioner_id,
        taken.room_id,
        taken.start,
    )
    page = client.post(
        reverse("booking:hold", args=[online.org.slug]),
        {
            "location": online.location.pk,
            "service": online.service.pk,
            "slot": first,
            **_work(html),
        },
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert "this time was just taken" in text
    assert 'name="slot"' in text  # the next free times, bookable from here


def test_the_honeypot_and_a_missing_proof_of_work_are_refused(online: Any) -> None:
    client = Client()
    url, html = _hold_first(client, online)
    robot = client.post(url, {**_details(website="http://spam"), **_work(html)})
    assert robot.status_code == 400
    lazy = client.post(url, {**_details(), "pow_token": "x", "pow_nonce": "1"})
    assert lazy.status_code == 400
    assert not Appointment.objects.filter(patient__email="anna@example.com").exists()


def test_a_proof_of_work_is_good_once() -> None:
    challenge = abuse.new_challenge()
    nonce = abuse.solve(challenge.token, challenge.bits)
    assert abuse.verify_work(challenge.token, nonce)
    assert not abuse.verify_work(challenge.token, nonce)


def test_bad_details_re_render_with_the_message_next_to_the_field(online: Any) -> None:
    client = Client()
    url, html = _hold_first(client, online)
    page = client.post(url, {**_details(birth_date="2999-01-01", weight_kg="abc"), **_work(html)})
    assert page.status_code == 422
    text = page.content.decode()
    assert 'id="id_birth_date_error"' in text and 'id="id_weight_kg_error"' in text
    page = client.post(url, {**_details(pregnancy_status=""), **_work(text)})
    assert page.status_code == 422
    assert 'id="id_pregnancy_status_error"' in page.content.decode()
    assert not Patient.objects.filter(email="anna@example.com").exists()


def test_slot_search_is_rate_limited_per_visitor(online: Any, settings: Any) -> None:
    settings.MESOCARE_ONLINE_BOOKING_LIMITS = {"search_identity": (2, 60)}
    client = Client()
    url = reverse("booking:slots", args=[online.org.slug])
    params = {"location": online.location.pk, "service": online.service.pk}
    assert client.get(url, params).status_code == 200
    assert client.get(url, params).status_code == 200
    assert client.get(url, params).status_code == 429
    assert Client().get(url, params).status_code == 200  # another visitor is not slowed


def test_a_closed_clinic_or_unknown_slug_is_404(online: Any, other_clinic: Any) -> None:
    client = Client()
    assert client.get(reverse("booking:home", args=[other_clinic.org.slug])).status_code == 404
    assert client.get(reverse("booking:home", args=["nobody"])).status_code == 404
    assert (
        client.get(reverse("booking:details", args=[online.org.slug, "forged"])).status_code == 404
    )


def test_one_start_per_time_is_listed(online: Any) -> None:
    slots = find_slots(online.org.pk, online.service, online.location, online.monday, online.monday)
    listed = one_per_start(slots)
    assert len({s.start for s in listed}) == len(listed) < len(slots)  # two practitioners
