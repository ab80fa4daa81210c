"""Booking from the calendar, beyond a patient on file: a consultation for a new patient (no
plan) registers the patient and books the visit in one step, or neither; the week grid offers
each day's first free times per practitioner or room, each opening the booking form."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client
from hypothesis import given, settings
from hypothesis import strategies as st

from mesocare.patients.models import Patient
from mesocare.scheduling.models import Appointment
from mesocare.web.views.calendar_booking import free_starts

from .conftest import ROME, at, day


def signed_in(sched: Any, role: str = "reception") -> Client:
    client = Client()
    client.force_login(sched.user(role))
    return client


def consultation(sched: Any, hour: int = 10, **extra: Any) -> dict[str, Any]:
    values = {
        "location": sched.location.pk,
        "visit": "consultation",
        "new_given_name": " Chiara ",
        "new_family_name": "Neri",
        "new_birth_date": "1991-04-02",
        "new_sex_at_birth": "female",
        "new_phone": "+39 333 765 4321",
        "date": day(1).isoformat(),
        "time": f"{hour:02d}:00",
        "duration_min": 45,
        "practitioner": sched.members["practitioner"].pk,
        "room": sched.room.pk,
        "notes": "",
    }
    values.update(extra)
    return values


def test_a_consultation_registers_the_new_patient_and_books_the_visit(sched: Any) -> None:
    r = signed_in(sched).post("/calendar/book", consultation(sched), HTTP_HX_REQUEST="true")
    assert r.status_code == 204, r.content
    patient = Patient.objects.get(family_name="Neri")
    assert patient.given_name == "Chiara"
    assert patient.allergy_status == "unknown"  # asked at the visit, not assumed
    appointment = Appointment.objects.get(patient=patient)
    assert appointment.plan is None
    assert appointment.notes == "First consultation"
    assert appointment.start == at(day(1), 10)
    assert appointment.end - appointment.start == dt.timedelta(minutes=45)


def test_a_consultation_without_the_new_patients_details_names_each_missing_field(
    sched: Any,
) -> None:
    data = consultation(sched, new_given_name="", new_birth_date="", new_sex_at_birth="")
    r = signed_in(sched).post("/calendar/book", data)
    assert r.status_code == 422
    html = r.content.decode()
    for field in ("new_given_name", "new_birth_date", "new_sex_at_birth"):
        assert f'id="id_{field}_error"' in html
    assert "Search for the patient and choose one." not in html
    assert not Patient.objects.filter(family_name="Neri").exists()


def test_a_taken_slot_books_nothing_and_registers_nobody(sched: Any) -> None:
    client = signed_in(sched)
    client.post("/calendar/book", consultation(sched), HTTP_HX_REQUEST="true")
    r = client.post(
        "/calendar/book",
        consultation(sched, new_given_name="Luca", new_family_name="Bruni", hour=10),
        HTTP_HX_REQUEST="true",
    )
    assert "The practitioner is busy then." in r.content.decode()
    assert not Patient.objects.filter(family_name="Bruni").exists()
    assert Appointment.objects.count() == 1


def test_a_future_birth_date_is_refused_beside_the_new_patients_field(sched: Any) -> None:
    r = signed_in(sched).post("/calendar/book", consultation(sched, new_birth_date="2999-01-01"))
    assert r.status_code == 422
    assert 'id="id_new_birth_date_error"' in r.content.decode()
    assert not Appointment.objects.exists()


def test_the_week_grid_lists_each_days_free_times_as_booking_links(
    sched: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(sched)
    client.post("/calendar/book", consultation(sched, hour=9), HTTP_HX_REQUEST="true")
    url = f"/calendar?location={sched.location.pk}&date={day(1).isoformat()}&view=week"
    with django_assert_max_num_queries(20):
        html = client.get(url).content.decode()
    member = sched.members["practitioner"].pk
    link = (
        f"/calendar/book?location={sched.location.pk}&amp;date={day(1).isoformat()}"
        f"&amp;time=10:00&amp;practitioner={member}"
    )
    assert link in html  # 09:00-09:45 is taken: the day's first free half hour is 10:00
    assert f"date={day(1).isoformat()}&amp;time=09:30&amp;practitioner" not in html
    assert "Tue 26 Mar" in html and "New consultation" in html
    rooms = client.get(url + "&by=room").content.decode()
    assert f"&amp;time=08:00&amp;room={sched.room.pk}" in rooms  # rooms follow opening hours
    panel = client.get(
        f"/calendar/book?location={sched.location.pk}&date={day(1).isoformat()}&time=09:30"
        f"&practitioner={member}&visit=consultation",
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert 'value="09:30"' in panel and 'value="consultation" checked' in panel.replace(
        ' id="id_visit_1"', ""
    ).replace("  ", " ")


def test_readers_see_no_booking_links_on_the_week_grid(sched: Any) -> None:
    html = signed_in(sched, "auditor").get(
        f"/calendar?location={sched.location.pk}&date={day(1).isoformat()}&view=week"
    )
    assert "free-slot" not in html.content.decode()


@settings(max_examples=80, deadline=None)
@given(
    taken=st.lists(st.tuples(st.integers(0, 40), st.integers(1, 12)), max_size=6),
    now_slot=st.integers(-4, 30),
    limit=st.integers(1, 6),
)
def test_free_starts_are_free_within_hours_in_order_and_not_past(
    taken: list[tuple[int, int]], now_slot: int, limit: int
) -> None:
    monday = day(0)
    base = dt.datetime.combine(monday, dt.time(8), tzinfo=ROME)
    quarter = dt.timedelta(minutes=15)
    busy = [(base + a * quarter, base + (a + n) * quarter) for a, n in taken]
    now = base + now_slot * quarter
    hours = [(dt.time(9), dt.time(13)), (dt.time(14), dt.time(18))]
    starts = free_starts(monday, hours, busy, ROME, now, limit=limit)
    assert len(starts) <= limit
    assert starts == sorted(starts)
    for start in starts:
        end = start + dt.timedelta(minutes=30)
        local = start.astimezone(ROME).time()
        assert any(o <= local and end.astimezone(ROME).time() <= c for o, c in hours)
        assert start >= now
        assert not any(b0 < end and start < b1 for b0, b1 in busy)


def test_free_starts_worked_example() -> None:
    monday = day(0)
    busy = [(at(monday, 9), at(monday, 10)), (at(monday, 10, 30), at(monday, 12, 45))]
    now = at(monday, 7)
    hours = [(dt.time(9), dt.time(13)), (dt.time(14), dt.time(18))]
    starts = free_starts(monday, hours, busy, ROME, now, limit=3)
    assert [s.strftime("%H:%M") for s in starts] == ["10:00", "14:00", "14:30"]
