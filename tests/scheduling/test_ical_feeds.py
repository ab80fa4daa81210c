"""iCalendar feeds: unguessable, revocable, valid RFC 5545 that parses back."""

from __future__ import annotations

from typing import Any

from django.test import Client
from icalendar import Calendar


def booked(sched: Any, plan: Any, h: Any, api: Any) -> list[dict[str, Any]]:
    r = api.post(f"plans/{plan.pk}/book", {"sessions": h.course(sched, [0, 7])})
    assert r.status_code == 201, r.content
    return list(r.json()["appointments"])


def test_a_practitioner_feed_parses_back_with_every_event(
    sched: Any, plan: Any, h: Any, api: Any
) -> None:
    appointments = booked(sched, plan, h, api)
    r = api.post("calendar-feeds", {"practitioner": sched.members["practitioner"].pk})
    assert r.status_code == 201, r.content
    feed = r.json()
    assert feed["url"].endswith(f"/ical/{feed['token']}.ics")
    assert len(feed["token"]) >= 40
    response = Client().get(f"/ical/{feed['token']}.ics")  # no login
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    cal = Calendar.from_ical(response.content)
    events = list(cal.walk("VEVENT"))
    assert {str(e["UID"]) for e in events} == {
        f"appointment-{a['id']}@mesocare" for a in appointments
    }
    first = min(events, key=lambda e: e.decoded("DTSTART"))
    assert first.decoded("DTSTART") == h.at(h.day(0), 12)
    assert "Main" in str(first["LOCATION"]) and sched.room.name in str(first["LOCATION"])
    assert str(first["SUMMARY"]) == "G. Rossi"


def test_a_patient_feed_carries_the_pre_care_note(sched: Any, plan: Any, h: Any, api: Any) -> None:
    booked(sched, plan, h, api)
    feed = api.post("calendar-feeds", {"patient": sched.patient.pk}).json()
    cal = Calendar.from_ical(Client().get(f"/ical/{feed['token']}.ics").content)
    event = next(iter(cal.walk("VEVENT")))
    description = str(event["DESCRIPTION"])
    assert plan.protocol.pre_care.name in description
    assert plan.protocol.pre_care.items[0]["text"] in description
    assert sched.room.name in str(event["LOCATION"])


def test_a_revoked_or_unknown_feed_is_404(sched: Any, plan: Any, h: Any, api: Any) -> None:
    feed = api.post("calendar-feeds", {"patient": sched.patient.pk}).json()
    assert Client().get(f"/ical/{feed['token']}.ics").status_code == 200
    assert api.delete(f"calendar-feeds/{feed['id']}").status_code == 204
    assert Client().get(f"/ical/{feed['token']}.ics").status_code == 404
    assert Client().get("/ical/not-a-token.ics").status_code == 404
    assert api.get("calendar-feeds").json()[0]["revoked_at"] is not None


def test_feeds_are_scoped_to_the_organization(sched: Any, api: Any, other_clinic: Any) -> None:
    assert api.post("calendar-feeds", {"patient": other_clinic.patient.pk}).status_code == 404
    theirs = other_clinic.api("admin").post("calendar-feeds", {"patient": other_clinic.patient.pk})
    assert api.delete(f"calendar-feeds/{theirs.json()['id']}").status_code == 404


def test_a_feed_needs_exactly_one_owner(sched: Any, api: Any) -> None:
    r = api.post("calendar-feeds", {})
    assert r.status_code == 422
    assert r["Content-Type"] == "application/problem+json"


def test_waitlist_over_the_api(
    sched: Any, h: Any, api: Any, django_assert_max_num_queries: Any
) -> None:
    r = api.post(
        "waitlist",
        {
            "patient": sched.patient.pk,
            "location": sched.location.pk,
            "earliest": "2030-03-25",
            "duration_min": 30,
            "window": {"start": "11:30", "end": "14:30"},
        },
    )
    assert r.status_code == 201, r.content
    assert r.json()["status"] == "waiting"
    api.get("waitlist")
    with django_assert_max_num_queries(8):
        listed = api.get("waitlist", location=sched.location.pk, status="waiting")
    assert listed.json()["count"] == 1
    assert listed.json()["items"][0]["window"] == {"start": "11:30:00", "end": "14:30:00"}
