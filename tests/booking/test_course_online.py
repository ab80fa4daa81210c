"""A returning patient (signed in to the portal) books the rest of their course at lunchtime,
all or nothing, and moves a session within the plan's interval rules up to the cut-off; the
pages show only their own course, and another patient's appointment is 404."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from mesocare.booking.models import OnlineAppointment
from mesocare.booking.services.setup import settings_of
from mesocare.catalog.models import Protocol, ProtocolVersion
from mesocare.catalog.snapshots import snapshot_protocol
from mesocare.notify.models import OutboxMessage
from mesocare.patients.models import Patient
from mesocare.plans.models import PlannedSession, TreatmentPlan
from mesocare.scheduling.models import Appointment
from tests.factories import portal_client

signed_in = portal_client  # a browser signed in to the portal


@pytest.fixture
def course(online: Any) -> Any:
    """The clinic's patient with a proposed 3-session plan (30 min, gaps 5/7/14 days) whose
    working hours include lunchtime (12:00–14:30 here: 9–13 and 14–18)."""
    patient = online.patient
    patient.email = "giulia@example.org"
    patient.save()
    protocol = Protocol.objects.filter(organization__isnull=True).order_by("id").first()
    assert protocol is not None
    version = ProtocolVersion.objects.filter(protocol=protocol, version=protocol.version).first()
    if version is None:
        version = ProtocolVersion.objects.create(
            protocol=protocol, version=protocol.version, snapshot=snapshot_protocol(protocol)
        )
    plan = TreatmentPlan.objects.create(
        organization=online.org,
        patient=patient,
        protocol=protocol,
        protocol_version=version,
        sessions_planned=3,
        sessions_by_rule=3,
        interval_min_days=5,
        interval_target_days=7,
        interval_max_days=14,
        response_check_session=2,
        session_duration_min=30,
        room_kind="facial",
        created_by=online.user("practitioner"),
    )
    for index in (1, 2, 3):
        PlannedSession.objects.create(organization=online.org, plan=plan, index=index)
    online.plan = plan
    return online


def test_a_returning_patient_books_the_rest_of_the_course_at_lunchtime(course: Any) -> None:
    client = signed_in(course.patient)
    url = reverse("booking:course", args=[course.org.slug])
    page = client.get(url, {"window": "lunch"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "Best fit" in html
    times = re.findall(r"Session \d: [^<]*?, (\d\d:\d\d)", html)
    assert times and all("12:00" <= t <= "14:00" for t in times)
    proposal = re.search(r'name="proposal" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    done = client.post(
        reverse("booking:course-book", args=[course.org.slug]), {"proposal": proposal}
    )
    assert done.status_code == 200 and "Your course is booked" in done.content.decode()
    booked = Appointment.objects.filter(plan=course.plan).order_by("course_index")
    assert [a.course_index for a in booked] == [1, 2, 3]
    for a in booked:
        local = a.start.astimezone(course.location.tz).time()
        assert dt.time(12) <= local and a.end.astimezone(course.location.tz).time() <= dt.time(
            14, 30
        )
    assert OnlineAppointment.objects.filter(appointment__plan=course.plan).count() == 3
    # Sending the same proposal again (a double click) books nothing more: the sessions of
    # the rest are already at those times.
    again = client.post(
        reverse("booking:course-book", args=[course.org.slug]), {"proposal": proposal}
    )
    assert Appointment.objects.filter(plan=course.plan).count() == 3
    assert again.status_code == 200
    # One confirmation lists the three sessions, even after the double click (issue 18, bug 10).
    (confirmation,) = OutboxMessage.objects.filter(
        patient=course.patient, kind="booking_confirmation"
    )
    assert len(confirmation.payload["sessions"]) == 3


def test_a_tampered_proposal_changes_nothing(course: Any) -> None:
    client = signed_in(course.patient)
    page = client.post(
        reverse("booking:course-book", args=[course.org.slug]), {"proposal": "forged:value"}
    )
    assert "out of date" in page.content.decode()
    assert not Appointment.objects.filter(plan=course.plan).exists()


def test_a_session_moves_within_the_interval_rules_and_not_inside_the_cutoff(course: Any) -> None:
    client = signed_in(course.patient)
    html = client.get(reverse("booking:course", args=[course.org.slug])).content.decode()
    proposal = re.search(r'name="proposal" value="([^"]+)"', html).group(1)  # type: ignore[union-attr]
    client.post(reverse("booking:course-book", args=[course.org.slug]), {"proposal": proposal})
    second = Appointment.objects.get(plan=course.plan, course_index=2)
    first = Appointment.objects.get(plan=course.plan, course_index=1)
    move = reverse("booking:course-move", args=[course.org.slug, second.pk])
    page = client.get(move).content.decode()
    values = re.findall(r'name="slot" value="([^"]+)"', page)
    assert values
    first_day = first.start.astimezone(course.location.tz).date()
    for value in values:
        day = dt.datetime.fromisoformat(value.split("|")[2]).astimezone(course.location.tz).date()
        assert 5 <= (day - first_day).days <= 14
    target = values[-1]
    assert client.post(move, {"slot": target}).status_code == 302
    second.refresh_from_db()
    assert second.start == dt.datetime.fromisoformat(target.split("|")[2])
    # A session inside the cut-off goes to the desk.
    soon = Appointment.objects.get(plan=course.plan, course_index=1)
    current = settings_of(course.org)
    current.cutoff_hours = 24 * 365
    current.save()
    refused = client.get(reverse("booking:course-move", args=[course.org.slug, soon.pk]))
    assert refused.status_code == 409 and "call the clinic" in refused.content.decode()


def test_another_patients_appointment_is_404_and_signed_out_goes_to_sign_in(
    course: Any, other_clinic: Any
) -> None:
    stranger = Appointment.objects.create(
        organization=course.org,
        location=course.location,
        practitioner=course.members["practitioner"],
        room=course.room,
        patient=Patient.objects.create(
            organization=course.org,
            given_name="Other",
            family_name="Person",
            birth_date=dt.date(1980, 1, 1),
            sex_at_birth="female",
        ),
        start=course.at(course.monday, 10),
        end=course.at(course.monday, 10, 30),
        created_by=course.user("admin"),
    )
    client = signed_in(course.patient)
    assert (
        client.get(reverse("booking:course-move", args=[course.org.slug, stranger.pk])).status_code
        == 404
    )
    anonymous = Client().get(reverse("booking:course", args=[course.org.slug]))
    assert anonymous.status_code == 302 and "sign-in" in anonymous["Location"]
