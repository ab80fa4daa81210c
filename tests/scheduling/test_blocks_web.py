"""Time off in the staff UI: the per-location page (list, form in the location's time zone,
errors beside the fields, confirmed removal), the message naming appointments inside new time
off, and the shaded "Unavailable" cells on the day calendar."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.test import Client

from mesocare.audit.models import AuditEvent
from mesocare.scheduling.models import Block


def signed_in(sched: Any, role: str = "reception") -> Client:
    client = Client()
    client.force_login(sched.user(role))
    return client


def url(sched: Any) -> str:
    return f"/calendar/{sched.location.pk}/time-off"


def make_block(sched: Any, h: Any, start: dt.datetime, end: dt.datetime, **kw: Any) -> Block:
    values: dict[str, Any] = {
        "organization": sched.org,
        "practitioner": sched.members["practitioner"],
        "start": start,
        "end": end,
        "reason": "Congress",
        "created_by": sched.user("admin"),
    }
    values.update(kw)
    return Block.objects.create(**values)


def book(sched: Any, h: Any, hour: int) -> int:
    r = sched.api("admin").post(
        "appointments",
        {
            "patient": sched.patient.pk,
            "practitioner": sched.members["practitioner"].pk,
            "room": sched.room.pk,
            "start": h.iso(h.day(1), hour),
            "duration_min": 30,
        },
    )
    assert r.status_code == 201, r.content
    return int(r.json()["id"])


def test_the_page_lists_upcoming_time_off_with_bounded_queries(
    sched: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    for d in range(5):
        make_block(sched, h, h.at(h.day(d), 9), h.at(h.day(d), 11))
    make_block(sched, h, h.at(h.day(2), 8), h.at(h.day(2), 20), practitioner=None, room=sched.room2)
    make_block(  # over: not listed
        sched,
        h,
        dt.datetime(2020, 1, 6, 9, tzinfo=dt.UTC),
        dt.datetime(2020, 1, 6, 10, tzinfo=dt.UTC),
        reason="Long ago",
    )
    client = signed_in(sched)
    client.get(url(sched))
    with django_assert_max_num_queries(11):
        r = client.get(url(sched))
    assert r.status_code == 200
    html = r.content.decode()
    assert html.count("Congress") == 6
    assert "Long ago" not in html
    assert "Tue 26 Mar 2030 09:00" in html  # local time of the location
    assert "Facial 2" in html
    assert 'type="datetime-local"' in html
    assert html.count("/delete") == 6
    assert "<script>" not in html and "style=" not in html  # CSP


def test_adding_time_off_in_local_time_names_the_appointments_inside(sched: Any, h: Any) -> None:
    inside = book(sched, h, 10)
    client = signed_in(sched)
    r = client.post(
        url(sched),
        {
            "practitioner": sched.members["practitioner"].pk,
            "room": "",
            "start": "2030-03-26T09:00",
            "end": "2030-03-26T13:00",
            "reason": "Dentist",
        },
        follow=True,
    )
    assert r.status_code == 200
    assert r.redirect_chain[-1][0] == url(sched)
    block = Block.objects.get()
    assert block.start == h.at(h.day(1), 9)  # Europe/Rome, whatever the server's zone
    assert block.end == h.at(h.day(1), 13)
    assert block.reason == "Dentist" and block.room is None
    html = r.content.decode()
    assert "Time off saved." in html
    assert "1 booked appointment falls inside this time off" in html
    link = f"/calendar?location={sched.location.pk}&amp;date=2030-03-26&amp;appointment={inside}"
    assert link in html
    assert "Giulia Rossi · Tue 26 Mar 2030 10:00" in html
    event = AuditEvent.objects.get(object_type="scheduling.block", action="create")
    assert event.channel == "web"


def test_a_bad_form_is_shown_again_with_the_errors_beside_the_fields(sched: Any) -> None:
    client = signed_in(sched)
    r = client.post(
        url(sched),
        {"practitioner": "", "room": "", "start": "2030-03-26T13:00", "end": "2030-03-26T09:00"},
    )
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="id_practitioner_error"' in html
    assert "Choose a practitioner, a room or both." in html
    assert 'id="id_end_error"' in html
    assert "The end must be after the start." in html
    assert 'value="2030-03-26T13:00"' in html  # what was typed is kept
    assert Block.objects.count() == 0

    garbled = client.post(url(sched), {"room": sched.room.pk, "start": "soon", "end": ""})
    assert garbled.status_code == 200
    assert 'id="id_start_error"' in garbled.content.decode()
    assert Block.objects.count() == 0


def test_a_room_of_another_location_cannot_be_chosen(sched: Any, other_clinic: Any) -> None:
    r = signed_in(sched).post(
        url(sched),
        {"room": other_clinic.room.pk, "start": "2030-03-26T09:00", "end": "2030-03-26T13:00"},
    )
    assert r.status_code == 200
    assert 'id="id_room_error"' in r.content.decode()
    assert Block.objects.count() == 0


def test_removing_time_off_asks_first(sched: Any, h: Any) -> None:
    block = make_block(sched, h, h.at(h.day(1), 9), h.at(h.day(1), 11))
    client = signed_in(sched)
    delete = f"{url(sched)}/{block.pk}/delete"
    ask = client.get(delete)
    assert ask.status_code == 200
    assert "Tue 26 Mar 2030 09:00" in ask.content.decode()
    assert Block.objects.filter(pk=block.pk).exists()
    done = client.post(delete)
    assert done.status_code == 302 and done["Location"] == url(sched)
    assert not Block.objects.filter(pk=block.pk).exists()
    event = AuditEvent.objects.get(object_type="scheduling.block", action="delete")
    assert event.channel == "web"


def test_an_auditor_sees_time_off_but_cannot_change_it(sched: Any, h: Any) -> None:
    block = make_block(sched, h, h.at(h.day(1), 9), h.at(h.day(1), 11))
    client = signed_in(sched, "auditor")
    page = client.get(url(sched))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Congress" in html and '<form method="post" action="/calendar' not in html
    assert "/delete" not in html
    r = client.post(
        url(sched),
        {"room": sched.room.pk, "start": "2030-03-26T09:00", "end": "2030-03-26T13:00"},
    )
    assert r.status_code == 403
    assert client.post(f"{url(sched)}/{block.pk}/delete").status_code == 403
    assert Block.objects.count() == 1


def test_another_organizations_location_and_time_off_are_404(
    sched: Any, h: Any, other_clinic: Any
) -> None:
    theirs = Block.objects.create(
        organization=other_clinic.org,
        room=other_clinic.room,
        start=h.at(h.day(1), 9),
        end=h.at(h.day(1), 11),
        created_by=other_clinic.user("admin"),
    )
    client = signed_in(sched)
    assert client.get(f"/calendar/{other_clinic.location.pk}/time-off").status_code == 404
    assert client.post(f"{url(sched)}/{theirs.pk}/delete").status_code == 404
    assert Block.objects.filter(pk=theirs.pk).exists()


def test_the_day_calendar_shades_time_off_with_bounded_queries(
    sched: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    book(sched, h, 10)
    make_block(sched, h, h.at(h.day(1), 9), h.at(h.day(1), 13), reason="Congress")
    make_block(
        sched,
        h,
        h.at(h.day(0), 8),
        h.at(h.day(3), 8),
        practitioner=None,
        room=sched.body_room,
        reason="Repairs",
    )
    client = signed_in(sched)
    day = f"/calendar?location={sched.location.pk}&date=2030-03-26"
    client.get(day)
    with django_assert_max_num_queries(11):  # one query for the day's time off
        r = client.get(day)
    assert r.status_code == 200
    html = r.content.decode()
    assert f'href="{url(sched)}"' in html  # the page header links the time off page
    # 09:00-13:00 around the 10:00-10:30 appointment: two shaded runs, the appointment between
    assert html.count("Unavailable: Congress") == 2
    assert 'rowspan="12" class="unavailable"' in html  # 09:00-10:00
    assert 'rowspan="30" class="unavailable"' in html  # 10:30-13:00
    assert "Giulia Rossi" in html
    assert "Repairs" not in html  # room time off shows in the room columns
    by_room = client.get(day + "&by=room").content.decode()
    assert "Unavailable: Repairs" in by_room
    assert "Congress" not in by_room
    assert "style=" not in html


def test_the_week_calendar_lists_time_off_cut_to_each_day(
    sched: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    make_block(sched, h, h.at(h.day(1), 9), h.at(h.day(1), 13), reason="Congress")
    make_block(
        sched,
        h,
        h.at(h.day(2), 15),
        h.at(h.day(4), 11),
        practitioner=None,
        room=sched.body_room,
        reason="Repairs",
    )
    client = signed_in(sched)
    week = f"/calendar?location={sched.location.pk}&date=2030-03-26&view=week"
    client.get(week)
    # one query for the week's time off, one for the working hours behind the free times
    with django_assert_max_num_queries(12):
        html = client.get(week).content.decode()
    assert "09:00–13:00 Unavailable: Congress" in html
    assert "Repairs" not in html  # room time off shows in the room columns
    by_room = client.get(week + "&by=room").content.decode()
    # Wednesday from 15:00, all of Thursday, Friday until 11:00
    assert by_room.count("Unavailable: Repairs") == 3
    assert "15:00–00:00 Unavailable: Repairs" in by_room
    assert "All day Unavailable: Repairs" in by_room
    assert "00:00–11:00 Unavailable: Repairs" in by_room
