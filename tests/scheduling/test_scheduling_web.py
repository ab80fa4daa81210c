"""The staff UI: calendar (day and week, practitioner and room columns), the appointment
panel with moves and check-in, the "Book course" wizard and the patient's Appointments tab."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.test import Client

from mesocare.scheduling.models import Appointment


def signed_in(sched: Any, role: str = "reception") -> Client:
    client = Client()
    client.force_login(sched.user(role))
    return client


def booked_directly(sched: Any, start: dt.datetime, minutes: int) -> Appointment:
    """An appointment written past the booking checks (a day the clinic is closed, say)."""
    return Appointment.objects.create(
        organization=sched.org,
        location=sched.location,
        practitioner=sched.members["practitioner"],
        room=sched.room,
        patient=sched.patient,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        created_by=sched.user("admin"),
    )


def book(sched: Any, plan: Any, h: Any, days: list[int]) -> list[int]:
    r = sched.api("admin").post(f"plans/{plan.pk}/book", {"sessions": h.course(sched, days)})
    assert r.status_code == 201, r.content
    return [a["id"] for a in r.json()["appointments"]]


def test_the_day_calendar_shows_appointments_in_local_time_with_bounded_queries(
    sched: Any, plan: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    book(sched, plan, h, [0, 7, 14, 21])
    client = signed_in(sched)
    url = f"/calendar?location={sched.location.pk}&date=2030-04-01"
    client.get(url)
    with django_assert_max_num_queries(16):
        r = client.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    assert "Giulia Rossi" in html
    assert "<strong>12:00</strong>" in html  # 10:00 UTC shown in Rome summer time
    assert 'rowspan="6"' in html  # 30 minutes in 5-minute rows
    assert "Check in" in html
    assert "<script>" not in html  # CSP: no inline scripts


def test_the_week_calendar_by_room(sched: Any, plan: Any, h: Any) -> None:
    book(sched, plan, h, [0, 7])
    r = signed_in(sched).get(
        f"/calendar?location={sched.location.pk}&date=2030-03-27&view=week&by=room"
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert sched.room.name in html and sched.body_room.name in html
    assert "12:00 Giulia Rossi" in html


def test_moving_on_the_calendar_shows_conflicts_beside_the_form(
    sched: Any, plan: Any, h: Any
) -> None:
    first, second = book(sched, plan, h, [0, 7])
    client = signed_in(sched)
    panel = client.get(f"/appointments/{second}", HTTP_HX_REQUEST="true")
    assert panel.status_code == 200 and "Move" in panel.content.decode()
    r = client.post(
        f"/appointments/{second}/move",
        {
            "date": "2030-03-26",
            "time": "12:00",
            "practitioner": sched.members["practitioner"].pk,
            "room": sched.room.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    assert "gap" in r.content.decode().lower()
    assert Appointment.objects.get(pk=second).start == h.at(h.day(7), 12)
    ok = client.post(
        f"/appointments/{second}/move",
        {
            "date": "2030-04-02",
            "time": "15:00",
            "practitioner": sched.members["practitioner"].pk,
            "room": sched.room2.pk,
        },
        HTTP_HX_REQUEST="true",
    )
    assert ok.status_code == 204 and "HX-Redirect" in ok
    moved = Appointment.objects.get(pk=second)
    assert (moved.start, moved.room_id) == (h.at(h.day(8), 15), sched.room2.pk)


def test_check_in_from_the_calendar_reports_a_safety_block(sched: Any, plan: Any, h: Any) -> None:
    first = book(sched, plan, h, [0])[0]
    r = signed_in(sched).post(
        f"/appointments/{first}/check-in",
        {"reason": "The patient came on another day."},
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    assert Appointment.objects.get(pk=first).status == "booked"
    assert "Safety check blocked" in r.content.decode()


def test_the_book_course_wizard_proposes_and_books_in_one_confirmation(
    sched: Any, plan: Any, h: Any
) -> None:
    client = signed_in(sched)
    page = client.get(f"/plans/{plan.pk}/book")
    assert page.status_code == 200
    r = client.get(
        f"/plans/{plan.pk}/book",
        {
            "location": sched.location.pk,
            "earliest": "2030-03-25",
            "window_start": "11:30",
            "window_end": "14:30",
            "same_practitioner": "on",
        },
        HTTP_HX_REQUEST="true",
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert "Best course" in html and "Alternative 1" in html
    encoded = json.loads(r.context["proposals"][0]["encoded"])
    assert len(encoded) == 4
    done = client.post(f"/plans/{plan.pk}/book", {"sessions": json.dumps(encoded)})
    assert done.status_code == 302
    assert Appointment.objects.filter(plan=plan).count() == 4
    again = client.post(f"/plans/{plan.pk}/book", {"sessions": json.dumps(encoded)})
    assert again.status_code == 200
    assert "already booked" in again.content.decode()
    assert Appointment.objects.filter(plan=plan).count() == 4


def test_the_patient_appointments_tab_shows_the_course_timeline(
    sched: Any, plan: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    book(sched, plan, h, [0, 7])
    client = signed_in(sched)
    url = f"/patients/{sched.patient.pk}/appointments"
    client.get(url)
    with django_assert_max_num_queries(20):
        r = client.get(url)
    assert r.status_code == 200
    html = r.content.decode()
    assert "not booked" in html  # sessions 3 and 4
    assert "Mon 25 Mar 2030 12:00" in html
    assert f'href="/plans/{plan.pk}/book"' in html


def test_another_organizations_appointment_is_404_in_the_ui(
    sched: Any, plan: Any, h: Any, other_clinic: Any
) -> None:
    first = book(sched, plan, h, [0])[0]
    other = Client()
    other.force_login(other_clinic.user("admin"))
    assert other.get(f"/appointments/{first}").status_code == 404
    assert other.post(f"/appointments/{first}/cancel", {"reason": "x"}).status_code == 404
    assert other.get(f"/plans/{plan.pk}/book").status_code == 404


def test_the_nav_links_the_calendar(sched: Any) -> None:
    html = signed_in(sched).get("/").content.decode()
    assert 'href="/calendar"' in html


def test_the_check_in_panel_warns_until_the_patient_confirms_pre_care(
    sched: Any, plan: Any, h: Any
) -> None:
    from mesocare.portal.models import PreCareConfirmation
    from mesocare.portal.precare import precare_status

    [first, *_] = book(sched, plan, h, [0, 7])
    client = signed_in(sched)
    html = client.get(f"/appointments/{first}").content.decode()
    assert "has not answered the pre-care instructions" in html
    appointment = Appointment.objects.get(pk=first)
    status = precare_status(appointment)
    PreCareConfirmation.objects.create(
        organization=sched.org,
        patient=appointment.patient,
        appointment_id=first,
        instruction_set=plan.protocol.pre_care.code,
        items_offered=[i.code for i in status.items],
        items_confirmed=[i.code for i in status.items],
    )
    html = client.get(f"/appointments/{first}").content.decode()
    assert "Pre-care confirmed" in html
    assert "has not answered" not in html


def test_the_dashboard_lists_todays_appointments_in_local_time(
    sched: Any, plan: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    from django.utils import timezone

    tz = sched.location.tz
    start = dt.datetime.combine(timezone.localdate(timezone=tz), dt.time(23, 30), tzinfo=tz)
    booked_directly(sched, start, 25)
    client = signed_in(sched, "practitioner")
    client.get("/")
    with django_assert_max_num_queries(40):
        html = client.get("/").content.decode()
    assert "Today&#x27;s appointments" in html or "Today's appointments" in html
    section = html[html.index("card-today-h") : html.index("card-today-h") + 1500]
    assert "23:30" in section, section
    assert "1 with you" in html


def test_on_the_days_the_clocks_change_the_calendar_places_by_the_local_clock(
    sched: Any, h: Any
) -> None:
    """Sunday 31 March 2030 has 23 hours in Rome, Sunday 27 October 25: a 09:00 appointment
    still sits in the row labelled 09:00."""
    client = signed_in(sched)
    for day in ("2030-03-31", "2030-10-27"):
        start = h.at(dt.date.fromisoformat(day), 9)
        booked_directly(sched, start, 30)
        html = client.get(f"/calendar?location={sched.location.pk}&date={day}").content.decode()
        row = html.split('<td rowspan="6" class="appt')[0].rsplit("<tr", 1)[1]
        assert '<th scope="row">09:00</th>' in row, day
