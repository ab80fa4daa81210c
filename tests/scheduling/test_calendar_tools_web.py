"""Reached from the calendar: the location's waitlist (listed with an audited read; a patient
is added through the same patient search as booking) and calendar feeds (created for one's
own appointments, the address shown once, revoked)."""

from __future__ import annotations

from typing import Any

from django.test import Client

from mesocare.audit.models import AuditEvent
from mesocare.scheduling.models import CalendarFeed, WaitlistEntry

from .conftest import day


def signed_in(sched: Any, role: str = "reception") -> Client:
    client = Client()
    client.force_login(sched.user(role))
    return client


def test_the_calendar_links_to_the_waitlist_and_the_feeds(sched: Any) -> None:
    html = signed_in(sched).get(f"/calendar?location={sched.location.pk}").content.decode()
    assert f'href="/calendar/{sched.location.pk}/waitlist"' in html
    assert 'href="/calendar/feeds"' in html


def test_adding_to_the_waitlist_and_listing_it(
    sched: Any, django_assert_max_num_queries: Any
) -> None:
    client = signed_in(sched)
    url = f"/calendar/{sched.location.pk}/waitlist"
    missing = client.post(url, {"earliest": day(1).isoformat(), "duration_min": 30})
    assert missing.status_code == 422
    assert "Search for the patient and choose one." in missing.content.decode()
    bad = client.post(
        url,
        {
            "patient": sched.patient.pk,
            "earliest": day(3).isoformat(),
            "latest": day(1).isoformat(),
            "duration_min": 30,
        },
    )
    assert (
        bad.status_code == 422 and "Must not be before the earliest date." in bad.content.decode()
    )
    assert not WaitlistEntry.objects.exists()
    r = client.post(
        url,
        {
            "patient": sched.patient.pk,
            "earliest": day(1).isoformat(),
            "duration_min": 45,
            "practitioner": sched.members["practitioner"].pk,
            "notes": "mornings preferred",
        },
    )
    assert r.status_code == 302
    entry = WaitlistEntry.objects.get()
    assert entry.duration_min == 45 and entry.location == sched.location
    with django_assert_max_num_queries(12):
        page = client.get(url)
    html = page.content.decode()
    assert "Giulia Rossi" in html and "45 minutes" in html and "mornings preferred" in html
    read = AuditEvent.objects.filter(action="read", object_type="scheduling.waitlistentry").get()
    assert read.patient_ids == [sched.patient.pk]
    auditor = signed_in(sched, "auditor")
    assert "Add a patient to the waitlist" not in auditor.get(url).content.decode()
    assert auditor.post(url, {}).status_code == 403


def test_a_practitioner_makes_a_feed_of_her_appointments_sees_it_once_and_revokes_it(
    sched: Any,
) -> None:
    client = signed_in(sched, "practitioner")
    r = client.post("/calendar/feeds/new")
    assert r.status_code == 302
    page = client.get("/calendar/feeds").content.decode()
    assert "shown only now" in page and "/ical/" in page
    again = client.get("/calendar/feeds").content.decode()
    assert "/ical/" not in again  # the address is shown once
    feed = CalendarFeed.objects.get()
    assert feed.practitioner == sched.members["practitioner"]
    token = page.split("/ical/")[1].split(".ics")[0]
    assert Client().get(f"/ical/{token}.ics").status_code == 200
    assert client.post(f"/calendar/feeds/{feed.pk}/revoke").status_code == 302
    assert Client().get(f"/ical/{token}.ics").status_code == 404
    reception = signed_in(sched).get("/calendar/feeds").content.decode()
    assert "New feed of my appointments" not in reception
