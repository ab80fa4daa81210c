"""The day and week calendars at a busy location: the queries a page makes do not grow with the
appointments it shows or with those around it (other days, other locations, cancelled ones),
and the grid written in Python keeps the markup the template wrote: names and reasons escaped,
the drag and check-in attributes, the free times of the week, nothing to edit for a reader."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from mesocare.clinics.models import Location, Room
from mesocare.patients.models import Patient
from mesocare.scheduling.models import Appointment, Block
from mesocare.web.views import calendar_booking
from mesocare.web.views.scheduling import Column

PAGES = [(view, by) for view in ("day", "week") for by in ("practitioner", "room")]


def signed_in(sched: Any, role: str = "reception", **kwargs: Any) -> Client:
    client = Client(**kwargs)
    client.force_login(sched.user(role))
    return client


def appointment(
    sched: Any,
    start: dt.datetime,
    patient: Patient,
    *,
    role: str = "practitioner",
    room: Room | None = None,
    location: Location | None = None,
    status: str = "booked",
    minutes: int = 30,
    **kwargs: Any,
) -> Appointment:
    return Appointment.objects.create(
        organization=sched.org,
        location=location or sched.location,
        practitioner=sched.members[role],
        room=room or sched.room,
        patient=patient,
        start=start,
        end=start + dt.timedelta(minutes=minutes),
        status=status,
        created_by=sched.user("reception"),
        **kwargs,
    )


def patients(sched: Any, count: int) -> list[Patient]:
    return [
        Patient.objects.create(
            organization=sched.org,
            given_name=f"Given{n}",
            family_name=f"Family{n}",
            birth_date=dt.date(1980, 1, 1),
            sex_at_birth="female",
        )
        for n in range(count)
    ]


def query_counts(client: Client, sched: Any, day: dt.date) -> dict[tuple[str, str], int]:
    counts = {}
    for view, by in PAGES:
        url = f"/calendar?location={sched.location.pk}&date={day}&view={view}&by={by}"
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        counts[view, by] = len(queries.captured_queries)
    return counts


def shown(client: Client, sched: Any, day: dt.date, view: str) -> int:
    html = client.get(f"/calendar?location={sched.location.pk}&date={day}&view={view}&by=room")
    return html.content.decode().count("data-appointment=")


def test_the_calendar_reads_as_many_queries_with_ten_times_the_appointments_in_and_around_it(
    sched: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    tuesday = h.day(1)
    appointment(sched, h.at(tuesday, 9), sched.patient)
    Block.objects.create(
        organization=sched.org,
        practitioner=sched.members["practitioner"],
        start=h.at(tuesday, 13),
        end=h.at(tuesday, 14),
        created_by=sched.user("admin"),
    )
    client = signed_in(sched)
    client.get(f"/calendar?location={sched.location.pk}&date={tuesday}")
    before = query_counts(client, sched, tuesday)
    assert (shown(client, sched, tuesday, "day"), shown(client, sched, tuesday, "week")) == (1, 1)

    people = patients(sched, 40)
    elsewhere = Location.objects.create(
        organization=sched.org, name="Other", timezone="Europe/Rome"
    )
    far_room = Room.objects.create(
        organization=sched.org, location=elsewhere, name="Far", kind="facial"
    )
    for n, patient in enumerate(people[:16]):  # the day shown: two practitioners, three rooms
        start = h.at(tuesday, 10) + dt.timedelta(minutes=30 * (n // 2))
        role, room = ("practitioner", sched.room2) if n % 2 else ("admin", sched.body_room)
        appointment(sched, start, patient, role=role, room=room)
    for n, patient in enumerate(people[16:24]):  # the rest of the week
        appointment(sched, h.at(h.day(2 + n % 4), 9 + n // 4), patient)
    for n, patient in enumerate(people[24:32]):  # weeks before and after, another location
        appointment(sched, h.at(h.day(-14 - n), 9), patient)
        appointment(sched, h.at(h.day(21 + n), 9), patient)
        appointment(sched, h.at(tuesday, 6) + dt.timedelta(minutes=20 * n), patient,
                    role="admin", room=far_room, location=elsewhere, minutes=20)  # fmt: skip
    for n, patient in enumerate(people[32:]):  # cancelled (not shown) and no-shows (shown)
        status = "cancelled" if n % 2 else "no_show"
        appointment(sched, h.at(tuesday, 18) + dt.timedelta(minutes=10 * n), patient,
                    room=sched.room2, status=status, minutes=10)  # fmt: skip

    assert shown(client, sched, tuesday, "day") == 1 + 16 + 4
    assert shown(client, sched, tuesday, "week") == 1 + 16 + 8 + 4
    assert query_counts(client, sched, tuesday) == before
    for view, by in PAGES:
        with django_assert_max_num_queries(12):
            client.get(f"/calendar?location={sched.location.pk}&date={tuesday}&view={view}&by={by}")


def test_the_grid_escapes_names_and_reasons_and_marks_what_can_be_moved(sched: Any, h: Any) -> None:
    tuesday = h.day(1)
    odd = Patient.objects.create(
        organization=sched.org,
        given_name="Zoë <b>",
        family_name='D\'Arc & "co"',
        birth_date=dt.date(1980, 1, 1),
        sex_at_birth="female",
    )
    booked = appointment(sched, h.at(tuesday, 9), odd)
    done = appointment(sched, h.at(tuesday, 10), sched.patient, status="completed")
    Block.objects.create(
        organization=sched.org,
        practitioner=sched.members["practitioner"],
        start=h.at(tuesday, 15),
        end=h.at(tuesday, 16),
        reason="<Congress> & co",
        created_by=sched.user("admin"),
    )
    name = "Zoë &lt;b&gt; D&#x27;Arc &amp; &quot;co&quot;"
    day = signed_in(sched).get(f"/calendar?location={sched.location.pk}&date={tuesday}")
    html = day.content.decode()
    assert f"<strong>09:00</strong> {name}\n" in html
    assert "<b>" not in html.split("<tbody>")[1]
    assert (
        f'<td rowspan="6" class="appt status-booked" draggable="true" '
        f'data-move-url="/appointments/{booked.pk}/move" '
        f'data-practitioner="{booked.practitioner_id}" data-room="{booked.room_id}">'
    ) in html
    assert f'hx-post="/appointments/{booked.pk}/check-in"' in html
    assert '<td rowspan="6" class="appt status-completed">' in html
    assert f'hx-post="/appointments/{done.pk}/check-in"' not in html
    assert '<span class="badge">Completed</span>' in html
    assert (
        '<td rowspan="12" class="unavailable">Unavailable: &lt;Congress&gt; &amp; co</td>' in html
    )
    assert '<td class="free" data-slot="08:05" data-col="0"></td>' in html

    week = signed_in(sched).get(f"/calendar?location={sched.location.pk}&date={tuesday}&view=week")
    html = week.content.decode()
    assert f'data-appointment="{booked.pk}">09:00 {name}</a></li>' in html
    assert '<li class="unavailable">15:00–16:00 Unavailable: &lt;Congress&gt; &amp; co</li>' in html
    monday = h.day(0)
    assert (
        f'href="/calendar/book?location={sched.location.pk}&amp;date={monday}&amp;time=09:00'
        f'&amp;practitioner={sched.members["practitioner"].pk}"'
    ) in html
    assert 'aria-label="Book 09:00 on Mon 25 Mar, practitioner alpha"' in html

    reader = signed_in(sched, "auditor")
    html = reader.get(f"/calendar?location={sched.location.pk}&date={tuesday}").content.decode()
    assert name in html and "draggable" not in html and "check-in" not in html
    assert 'class="free"' not in html and "<td></td>" in html
    html = reader.get(
        f"/calendar?location={sched.location.pk}&date={tuesday}&view=week"
    ).content.decode()
    assert name in html and "free-slot" not in html


def test_the_check_in_button_of_the_grid_carries_a_valid_csrf_token(sched: Any, h: Any) -> None:
    booked = appointment(sched, h.at(h.day(1), 9), sched.patient)
    client = signed_in(sched, enforce_csrf_checks=True)
    html = client.get(f"/calendar?location={sched.location.pk}&date={h.day(1)}").content.decode()
    form = html.split(f'hx-post="/appointments/{booked.pk}/check-in"')[1].split("</form>")[0]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form)
    assert token is not None
    refused = client.post(f"/appointments/{booked.pk}/check-in", {})
    assert refused.status_code == 403
    answered = client.post(f"/appointments/{booked.pk}/check-in", {"csrfmiddlewaretoken": token[1]})
    assert answered.status_code != 403


def test_the_week_offers_no_free_time_on_days_gone_by_and_never_calls_them_fully_booked(
    sched: Any, h: Any, monkeypatch: Any
) -> None:
    wednesday_ten = h.at(h.day(2), 10, 10)
    monkeypatch.setattr(calendar_booking.timezone, "now", lambda: wednesday_ten)
    practitioner = sched.members["practitioner"]
    columns = [Column(practitioner.pk, "Dr")]
    week = [{"day": h.day(n), "cells": [{"appointments": [], "time_off": []}]} for n in range(7)]
    calendar_booking.attach_free_slots(
        sched.actor("reception"), sched.location, "practitioner", week, columns
    )
    cells = [row["cells"][0] for row in week]
    assert [(c["free"], c["full"]) for c in cells[:2]] == [([], False), ([], False)]
    assert [t.strftime("%H:%M") for t in cells[2]["free"]] == ["10:30", "11:00", "11:30", "12:00"]
    assert [t.strftime("%H:%M") for t in cells[3]["free"]] == ["09:00", "09:30", "10:00", "10:30"]
    assert (cells[6]["free"], cells[6]["full"]) == ([], False)  # Sunday: no working hours
