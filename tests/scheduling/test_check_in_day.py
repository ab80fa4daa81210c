"""Check-in only on the appointment's day (the location's calendar), or with a reason that the
audit trail keeps; an empty session opened by mistake can be discarded, the appointment booked
again (issue 18, bug 8)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client

from mesocare.audit.models import AuditEvent
from mesocare.charting.models import TreatmentSession
from mesocare.charting.services import injections, sessions
from mesocare.errors import Conflict, Forbidden
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import appointments as appts

pytestmark = pytest.mark.django_db
OVERRIDE = "intake completed on paper today"  # the test patient's intake is incomplete


def appointment_at(sched: Any, start: dt.datetime) -> Appointment:
    return Appointment.objects.create(
        organization=sched.org,
        location=sched.location,
        practitioner=sched.members["practitioner"],
        room=sched.room,
        patient=sched.patient,
        start=start,
        end=start + dt.timedelta(minutes=30),
        created_by=sched.user("admin"),
    )


def test_an_appointment_next_week_is_not_checked_in_today_without_a_reason(
    sched: Any, h: Any
) -> None:
    appointment = appointment_at(sched, h.at(h.day(7), 10))
    with pytest.raises(Conflict) as caught:
        appts.check_in(sched.actor(), appointment, override_reason=OVERRIDE, now=h.at(h.day(0), 9))
    assert caught.value.code == "not_appointment_day"
    assert [e["field"] for e in caught.value.errors] == ["reason"]
    assert "2030" in caught.value.message and "2030-" not in caught.value.message  # no ISO
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"


def test_with_a_reason_it_is_checked_in_and_the_reason_is_audited(sched: Any, h: Any) -> None:
    appointment = appointment_at(sched, h.at(h.day(7), 10))
    appts.check_in(
        sched.actor(),
        appointment,
        override_reason=OVERRIDE,
        reason="  Came a week early for a cancellation slot. ",
        now=h.at(h.day(0), 9),
    )
    assert Appointment.objects.get(pk=appointment.pk).status == "checked_in"
    event = AuditEvent.objects.filter(
        object_type="scheduling.appointment", object_id=str(appointment.pk), action="update"
    ).latest("pk")
    assert event.changes["check_in_reason"] == [None, "Came a week early for a cancellation slot."]
    assert "Came a week early" in event.summary


@pytest.mark.parametrize(("local_hour", "allowed"), [(0, True), (23, True)])
def test_the_day_is_the_locations_calendar_day_not_utc(
    sched: Any, h: Any, local_hour: int, allowed: bool
) -> None:
    """00:30 and 23:30 in Rome are on the previous / same UTC day: both may be checked in from
    08:00 Rome that day, and neither the evening before."""
    start = dt.datetime.combine(h.day(2), dt.time(local_hour, 30), tzinfo=h.ROME)
    appointment = appointment_at(sched, start)
    morning = dt.datetime.combine(h.day(2), dt.time(8), tzinfo=h.ROME)
    assert appts.check_in_day_error(appointment, None, now=morning) is None
    evening_before = dt.datetime.combine(h.day(1), dt.time(23, 50), tzinfo=h.ROME)
    assert appts.check_in_day_error(appointment, None, now=evening_before) is not None
    assert appts.check_in_day_error(appointment, "early", now=evening_before) is None


def test_the_api_answers_409_naming_the_field_reason(sched: Any, h: Any) -> None:
    appointment = appointment_at(sched, h.at(h.day(7), 10))
    api = sched.api("admin")
    r = api.post(f"appointments/{appointment.pk}/check-in", {"override_reason": OVERRIDE})
    assert r.status_code == 409
    assert r["Content-Type"] == "application/problem+json"
    body = r.json()
    assert body["code"] == "not_appointment_day"
    assert body["errors"][0]["field"] == "reason"
    r = api.post(
        f"appointments/{appointment.pk}/check-in",
        {"override_reason": OVERRIDE, "reason": "came early"},
    )
    assert r.status_code == 200, r.content
    assert r.json()["status"] == "checked_in"


def test_the_panel_asks_for_the_reason_next_to_the_field(sched: Any, h: Any) -> None:
    appointment = appointment_at(sched, h.at(h.day(7), 10))
    desk = Client()
    desk.force_login(sched.user("reception"))
    panel = desk.get(f"/appointments/{appointment.pk}", HTTP_HX_REQUEST="true").content.decode()
    assert "Why check in on another day" in panel
    r = desk.post(f"/appointments/{appointment.pk}/check-in", HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200
    assert 'id="id_reason_error"' in html and "not today" in html
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"


def checked_in_with_session(sched: Any, h: Any) -> tuple[Appointment, TreatmentSession]:
    appointment = appointment_at(sched, h.at(h.day(7), 10))
    appts.check_in(sched.actor(), appointment, override_reason=OVERRIDE, reason="early")
    session = sessions.open_from_appointment(sched.actor("practitioner"), appointment)
    return appointment, session


def test_an_empty_session_opened_by_mistake_is_discarded_and_the_appointment_booked_again(
    sched: Any, h: Any
) -> None:
    appointment, session = checked_in_with_session(sched, h)
    sessions.discard_session(sched.actor("practitioner"), session, "wrong patient's slot")
    assert not TreatmentSession.objects.filter(pk=session.pk).exists()
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    deleted = AuditEvent.objects.get(object_type="charting.treatmentsession", action="delete")
    assert "wrong patient's slot" in deleted.summary
    assert deleted.patient_id == sched.patient.pk
    back = AuditEvent.objects.filter(
        object_type="scheduling.appointment", object_id=str(appointment.pk)
    ).latest("pk")
    assert back.changes["status"] == ["checked_in", "booked"]


def test_a_session_with_a_charted_entry_or_a_signature_is_not_discarded(sched: Any, h: Any) -> None:
    _appointment, session = checked_in_with_session(sched, h)
    doctor = sched.actor("practitioner")
    injections.add_side_effect(doctor, session, kind="bruising", grade=1)
    with pytest.raises(Conflict) as caught:
        sessions.discard_session(doctor, session)
    assert caught.value.code == "session_not_empty"
    assert TreatmentSession.objects.filter(pk=session.pk).exists()

    walk_in = sessions.open_walk_in(doctor, patient=sched.patient, location=sched.location)
    sessions.sign_session(doctor, walk_in)
    with pytest.raises(Conflict) as caught:
        sessions.discard_session(doctor, walk_in)
    assert caught.value.code == "session_signed"


def test_reception_cannot_discard_and_the_api_discards_for_the_practitioner(
    sched: Any, h: Any
) -> None:
    appointment, session = checked_in_with_session(sched, h)
    with pytest.raises(Forbidden):
        sessions.discard_session(sched.actor("reception"), session)
    r = sched.api("practitioner").post(f"sessions/{session.pk}/discard", {"reason": "mistake"})
    assert r.status_code == 204, r.content
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    assert sched.api("practitioner").post(f"sessions/{session.pk}/discard").status_code == 404


def test_the_session_page_discards_an_empty_session_in_a_bounded_number_of_queries(
    sched: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    appointment, session = checked_in_with_session(sched, h)
    doctor = Client()
    doctor.force_login(sched.user("practitioner"))
    page = doctor.get(f"/sessions/{session.pk}").content.decode()
    assert "Opened by mistake?" in page and "Discard session" in page
    with django_assert_max_num_queries(32):
        r = doctor.post(f"/sessions/{session.pk}/discard", {"reason": "wrong slot"})
    assert r.status_code == 302
    assert r["Location"] == f"/patients/{sched.patient.pk}/sessions"
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    assert not TreatmentSession.objects.filter(pk=session.pk).exists()
