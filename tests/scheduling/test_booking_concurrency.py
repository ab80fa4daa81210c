"""DESIGN §5 under real concurrency (PostgreSQL only): 16 threads book overlapping courses at
once; exactly one course of each competing pair is booked, whole; the loser gets a Conflict
and nothing; and the database holds no overlapping active appointments afterwards."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

import pytest
from django.db import connection

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership, Room, WorkingHours
from mesocare.errors import Conflict
from mesocare.patients.models import Patient
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.courses import SessionChoice, book_course

PAIRS = 8  # 16 threads

OVERLAPS_SQL = """
SELECT count(*) FROM scheduling_appointment a
JOIN scheduling_appointment b ON a.id < b.id
 AND a.status IN ('booked', 'checked_in', 'completed')
 AND b.status IN ('booked', 'checked_in', 'completed')
 AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
 AND (a.practitioner_id = b.practitioner_id OR a.room_id = b.room_id
      OR a.patient_id = b.patient_id)
"""


@pytest.mark.django_db(transaction=True)
def test_concurrent_course_bookings_never_overlap(clinic: Any, h: Any) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints and real concurrency need PostgreSQL")
    from django.contrib.auth import get_user_model

    User = get_user_model()
    jobs = []
    for k in range(PAIRS):
        user = User.objects.create_user(f"p{k}@alpha.test", "x" * 12, full_name=f"P {k}")
        practitioner = Membership.objects.create(
            user=user, organization=clinic.org, role="practitioner"
        )
        room = Room.objects.create(
            organization=clinic.org, location=clinic.location, name=f"F{k}", kind="facial"
        )
        for weekday in range(7):
            WorkingHours.objects.create(
                organization=clinic.org,
                membership=practitioner,
                location=clinic.location,
                weekday=weekday,
                opens=dt.time(8),
                closes=dt.time(20),
            )
        # Even pairs collide on every session; odd pairs only on the last one.
        days_b = [0, 7, 14] if k % 2 == 0 else [1, 8, 14]
        for days in ([0, 7, 14], days_b):
            patient = Patient.objects.create(
                organization=clinic.org,
                given_name="T",
                family_name=f"{k}-{len(jobs)}",
                birth_date=dt.date(1970, 1, 1),
                sex_at_birth="male",
            )
            plan = h.make_plan(clinic, patient=patient, sessions_planned=3)
            sessions = [
                SessionChoice(n, h.at(h.day(d), 12), practitioner, room)
                for n, d in enumerate(days, start=1)
            ]
            jobs.append((k, plan, sessions))
    actor = Actor(membership=clinic.members["reception"])
    barrier = threading.Barrier(len(jobs))
    outcomes: dict[int, list[str]] = {k: [] for k in range(PAIRS)}
    errors: list[BaseException] = []

    def run(k: int, plan: Any, sessions: list[SessionChoice]) -> None:
        try:
            barrier.wait()
            book_course(actor, plan, sessions)
            outcomes[k].append("booked")
        except Conflict as exc:
            assert exc.code == "booking_conflict", exc.code
            outcomes[k].append("conflict")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert all(sorted(o) == ["booked", "conflict"] for o in outcomes.values()), outcomes
    assert Appointment.objects.count() == PAIRS * 3  # every winner whole, every loser nothing
    per_plan = {plan.pk: Appointment.objects.filter(plan=plan).count() for _k, plan, _s in jobs}
    assert sorted(per_plan.values()) == [0] * PAIRS + [3] * PAIRS
    with connection.cursor() as cursor:
        cursor.execute(OVERLAPS_SQL)
        assert cursor.fetchone()[0] == 0


def test_the_database_refuses_an_overlap_that_bypasses_the_service(sched: Any, h: Any) -> None:
    """On PostgreSQL the exclusion constraint holds even for a raw insert."""
    if connection.vendor != "postgresql":
        pytest.skip("exclusion constraints are PostgreSQL's")
    from django.db import IntegrityError, transaction

    def make(start: dt.datetime, status: str = "booked", room: Any = None) -> Appointment:
        return Appointment.objects.create(
            organization=sched.org,
            location=sched.location,
            practitioner=sched.members["practitioner"],
            room=room or sched.room,
            patient=sched.patient,
            start=start,
            end=start + dt.timedelta(minutes=30),
            status=status,
            created_by=sched.user("admin"),
        )

    make(h.at(h.day(0), 12))
    make(h.at(h.day(0), 12, 30))  # back to back is fine: ranges are half-open
    make(h.at(h.day(0), 12, 10), status="cancelled")  # inactive rows do not count
    with pytest.raises(IntegrityError), transaction.atomic():
        make(h.at(h.day(0), 12, 15), room=sched.room2)
