"""The one-statement booking writes exactly when `find_conflicts` finds nothing.

`insert_if_free` restates the conflict checks in SQL so that a booking is one round trip;
these tests hold it to the one source of conflict reasons on random calendars (hours with a
lunch break, opening hours, blocks, active and cancelled appointments, sessions across
midnight), on SQLite and on PostgreSQL (where the exclusion constraints refuse overlaps).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesocare.errors import Conflict
from mesocare.patients.models import Patient
from mesocare.scheduling.models import Appointment, Block
from mesocare.scheduling.services.appointments import book_appointment
from mesocare.scheduling.services.booking import Candidate, find_conflicts
from mesocare.scheduling.services.insert_if_free import insert_if_free

# Five-minute marks of the working day, and late ones whose sessions run past midnight.
minutes = st.one_of(st.integers(7 * 12, 19 * 12), st.integers(22 * 12, 23 * 12 + 11)).map(
    lambda n: n * 5
)
busy = st.tuples(st.integers(0, 6), minutes, st.sampled_from([15, 30, 60, 240]), st.integers(0, 5))


def moment(h: Any, day: int, minute: int) -> dt.datetime:
    return h.at(h.day(day), 0) + dt.timedelta(minutes=minute)


def world(sched: Any, h: Any, appointments: list[Any], blocks: list[Any]) -> dict[str, Any]:
    """Staff, rooms and patients to draw from, and the busy time to book against."""
    other = Patient.objects.create(
        organization=sched.org,
        given_name="Other",
        family_name="Patient",
        birth_date=dt.date(1990, 1, 1),
        sex_at_birth="female",
    )
    staff = [sched.members["practitioner"], sched.members["admin"]]  # the admin has no hours
    rooms = [sched.room, sched.room2, sched.body_room]
    patients = [sched.patient, other]
    user = sched.user("admin")
    for day, minute, length, who in appointments:
        start = moment(h, day, minute)
        try:
            with transaction.atomic():  # PostgreSQL refuses an overlap; SQLite keeps it
                Appointment.objects.create(
                    organization=sched.org,
                    location=sched.location,
                    practitioner=staff[who % 2],
                    room=rooms[who % 3],
                    patient=patients[who // 3 % 2],
                    start=start,
                    end=start + dt.timedelta(minutes=length),
                    status="cancelled" if who == 5 else "booked",
                    created_by=user,
                )
        except IntegrityError:
            pass
    for day, minute, length, who in blocks:
        start = moment(h, day, minute)
        Block.objects.create(
            organization=sched.org,
            practitioner=staff[0] if who % 2 else None,
            room=None if who % 2 else rooms[who % 3],
            start=start,
            end=start + dt.timedelta(minutes=length),
            created_by=user,
        )
    return {"staff": staff, "rooms": rooms, "patients": patients, "user": user}


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    appointments=st.lists(busy, max_size=6),
    blocks=st.lists(busy, max_size=2),
    day=st.integers(0, 6),
    minute=minutes,
    length=st.sampled_from([15, 30, 45, 90]),
    choice=st.tuples(st.sampled_from([0, 0, 0, 1]), st.integers(0, 2), st.integers(0, 1)),
)
def test_it_writes_exactly_when_find_conflicts_finds_nothing(
    sched: Any,
    h: Any,
    appointments: list[Any],
    blocks: list[Any],
    day: int,
    minute: int,
    length: int,
    choice: tuple[int, int, int],
) -> None:
    with transaction.atomic():
        w = world(sched, h, appointments, blocks)
        start = moment(h, day, minute)
        staff, room, patient = (
            w["staff"][choice[0]],
            w["rooms"][choice[1]],
            w["patients"][choice[2]],
        )
        candidate = Candidate(start, start + dt.timedelta(minutes=length), staff, room)
        expected_free = not find_conflicts(sched.org.pk, patient.pk, [candidate])
        appointment = Appointment(
            organization=sched.org,
            location=room.location,
            practitioner=staff,
            room=room,
            patient=patient,
            start=candidate.start,
            end=candidate.end,
            created_by=w["user"],
        )
        try:
            with transaction.atomic():
                written = insert_if_free(appointment)
        except IntegrityError:
            written = False
        assert written == expected_free
        if written:
            stored = Appointment.objects.get(pk=appointment.pk)
            assert (stored.start, stored.end, stored.status) == (
                candidate.start,
                candidate.end,
                "booked",
            )
        transaction.set_rollback(True)


def test_a_refused_booking_names_the_reason_and_the_appointment_in_the_way(
    sched: Any, h: Any
) -> None:
    actor = sched.actor("reception")
    start = h.at(h.day(1), 10)
    kwargs = {
        "patient": sched.patient,
        "practitioner": sched.members["practitioner"],
        "room": sched.room,
        "duration_min": 30,
    }
    first = book_appointment(actor, start=start, **kwargs)
    assert first.pk and Appointment.objects.filter(pk=first.pk, status="booked").exists()
    try:
        book_appointment(actor, start=start + dt.timedelta(minutes=15), **kwargs)
    except Conflict as refused:
        reasons = {(c["reason"], c.get("appointment")) for c in refused.context["conflicts"]}
    else:
        raise AssertionError("an overlapping booking must be refused")
    assert ("practitioner_busy", first.pk) in reasons
    assert ("room_busy", first.pk) in reasons
    assert Appointment.objects.filter(patient=sched.patient).count() == 1
    try:
        book_appointment(actor, start=h.at(h.day(1), 13, 30), **kwargs)  # the lunch break
    except Conflict as refused:
        assert [c["reason"] for c in refused.context["conflicts"]] == ["outside_working_hours"]
    else:
        raise AssertionError("a booking in the lunch break must be refused")


def test_booking_one_appointment_checks_and_writes_in_one_statement(
    sched: Any, h: Any, django_assert_max_num_queries: Any
) -> None:
    kwargs = {
        "patient": sched.patient,
        "practitioner": sched.members["practitioner"],
        "room": sched.room,
        "duration_min": 30,
    }
    # The insert, the audit row, and the confirmation and reminder messages of the outbox
    # (each checked for a duplicate and for an SMS opt-out, and written in a savepoint): 15.
    with django_assert_max_num_queries(15) as captured:
        book_appointment(sched.actor("reception"), start=h.at(h.day(2), 10), **kwargs)
    checks = [q["sql"] for q in captured.captured_queries if "clinics_workinghours" in q["sql"]]
    assert len(checks) == 1 and checks[0].startswith("INSERT INTO")
