"""Course booking through the service: all or nothing, with named conflicts."""

from __future__ import annotations

from typing import Any

import pytest

from mesocare.audit.models import AuditEvent
from mesocare.clinics.models import Membership
from mesocare.errors import Conflict, Forbidden
from mesocare.plans.choices import PlanStatus
from mesocare.scheduling.models import Appointment, Block
from mesocare.scheduling.services import booking
from mesocare.scheduling.services.courses import SessionChoice, book_course


def choices(
    sched: Any, h: Any, days: list[int], hour: int = 12, room: Any = None
) -> list[SessionChoice]:
    return [
        SessionChoice(n, h.at(h.day(d), hour), sched.members["practitioner"], room or sched.room)
        for n, d in enumerate(days, start=1)
    ]


def test_booking_a_course_books_every_session_and_activates_the_plan(
    sched: Any, plan: Any, h: Any
) -> None:
    booked = book_course(sched.actor("reception"), plan, choices(sched, h, [0, 7, 14, 21]))
    assert [a.course_index for a in booked] == [1, 2, 3, 4]
    assert all(
        a.planned_session is not None and a.planned_session.index == a.course_index for a in booked
    )
    plan.refresh_from_db()
    assert plan.status == PlanStatus.ACTIVE
    assert (
        AuditEvent.objects.filter(object_type="scheduling.appointment", action="create").count()
        == 4
    )


def test_booking_is_rejected_when_the_practitioner_is_busy_and_nothing_is_stored(
    sched: Any, plan: Any, h: Any
) -> None:
    Appointment.objects.create(
        organization=sched.org,
        location=sched.location,
        practitioner=sched.members["practitioner"],
        room=sched.room2,
        patient=sched.patient.__class__.objects.create(
            organization=sched.org,
            given_name="Anna",
            family_name="Neri",
            birth_date="1985-01-01",
            sex_at_birth="female",
        ),
        start=h.at(h.day(14), 12, 15),
        end=h.at(h.day(14), 12, 45),
        created_by=sched.user("admin"),
    )
    with pytest.raises(Conflict) as caught:
        book_course(sched.actor(), plan, choices(sched, h, [0, 7, 14, 21]))
    assert caught.value.code == "booking_conflict"
    assert {"index": 3, "reason": "practitioner_busy"} in [
        {"index": c["index"], "reason": c["reason"]} for c in caught.value.context["conflicts"]
    ]
    assert Appointment.objects.filter(plan=plan).count() == 0
    plan.refresh_from_db()
    assert plan.status == PlanStatus.PROPOSED


def test_booking_is_rejected_when_the_room_is_taken(sched: Any, plan: Any, h: Any) -> None:
    other = sched.patient.__class__.objects.create(
        organization=sched.org,
        given_name="Anna",
        family_name="Neri",
        birth_date="1985-01-01",
        sex_at_birth="female",
    )
    Appointment.objects.create(
        organization=sched.org,
        location=sched.location,
        practitioner=sched.members["admin"],
        room=sched.room,
        patient=other,
        start=h.at(h.day(7), 11, 45),
        end=h.at(h.day(7), 12, 15),
        created_by=sched.user("admin"),
    )
    with pytest.raises(Conflict) as caught:
        book_course(sched.actor(), plan, choices(sched, h, [0, 7, 14, 21]))
    reasons = {(c["index"], c["reason"]) for c in caught.value.context["conflicts"]}
    assert reasons == {(2, "room_busy")}


def test_booking_is_rejected_outside_working_hours_in_a_block_and_with_a_bad_gap(
    sched: Any, plan: Any, h: Any
) -> None:
    Block.objects.create(
        organization=sched.org,
        practitioner=sched.members["practitioner"],
        start=h.at(h.day(21), 0),
        end=h.at(h.day(22), 0),
        reason="course",
        created_by=sched.user("admin"),
    )
    sessions = choices(sched, h, [0, 7, 9, 21])
    sessions[1] = SessionChoice(2, h.at(h.day(7), 13, 15), sessions[1].practitioner, sched.room)
    with pytest.raises(Conflict) as caught:
        book_course(sched.actor(), plan, sessions)
    reasons = {(c["index"], c["reason"]) for c in caught.value.context["conflicts"]}
    assert (2, "outside_working_hours") in reasons  # 13:00-14:00 is the lunch break
    assert (3, "gap") in reasons  # 2 days after session 2
    assert Appointment.objects.count() == 0


def test_booking_is_rejected_in_a_room_of_the_wrong_kind(sched: Any, plan: Any, h: Any) -> None:
    with pytest.raises(Conflict) as caught:
        book_course(sched.actor(), plan, choices(sched, h, [0, 7, 14, 21], room=sched.body_room))
    assert {c["reason"] for c in caught.value.context["conflicts"]} == {"wrong_room_kind"}


def test_a_session_already_booked_cannot_be_booked_again(sched: Any, plan: Any, h: Any) -> None:
    book_course(sched.actor(), plan, choices(sched, h, [0, 7, 14, 21])[:2])
    with pytest.raises(Conflict) as caught:
        book_course(sched.actor(), plan, choices(sched, h, [0, 7, 14, 21]))
    reasons = {(c["index"], c["reason"]) for c in caught.value.context["conflicts"]}
    assert reasons >= {(1, "already_booked"), (2, "already_booked")}
    assert Appointment.objects.filter(plan=plan).count() == 2


def test_a_booking_that_slips_past_the_check_is_stopped_by_the_database_as_a_conflict(
    sched: Any, plan: Any, h: Any, monkeypatch: Any
) -> None:
    """What a concurrent transaction would do: the check sees nothing, the insert violates a
    database constraint (uniqueness per session on every database; exclusion on PostgreSQL)."""
    book_course(sched.actor(), plan, choices(sched, h, [0, 7, 14, 21]))
    monkeypatch.setattr(
        "mesocare.scheduling.services.courses.find_conflicts",
        lambda *a, **k: booking.Conflicts(),
    )
    monkeypatch.setattr("mesocare.scheduling.services.courses._plan_appointments", lambda plan: [])
    with pytest.raises(Conflict) as caught:
        book_course(sched.actor(), plan, choices(sched, h, [0, 7, 14, 21], hour=15))
    assert caught.value.context["conflicts"][0]["index"] == 1
    assert caught.value.context["conflicts"][0]["reason"] in {"already_booked", "patient_busy"}
    assert Appointment.objects.filter(plan=plan).count() == 4


def test_the_safety_check_runs_first_and_its_block_books_nothing(
    sched: Any, plan: Any, h: Any, monkeypatch: Any
) -> None:
    calls = []

    def blocked(actor: Any, patient: Any, moment: str, **kwargs: Any) -> None:
        calls.append((moment, kwargs.get("protocol")))
        raise Conflict("safety_block", "pregnant", findings=[{"code": "pregnancy"}])

    monkeypatch.setattr("mesocare.scheduling.services.hooks.require_safe", blocked)
    with pytest.raises(Conflict) as caught:
        book_course(sched.actor(), plan, choices(sched, h, [0, 7, 14, 21]))
    assert caught.value.code == "safety_block"
    assert calls == [("booking", plan.protocol)]
    assert Appointment.objects.count() == 0


def test_an_auditor_may_not_book(sched: Any, plan: Any, h: Any) -> None:
    with pytest.raises(Forbidden):
        book_course(sched.actor("auditor"), plan, choices(sched, h, [0, 7, 14, 21]))


def test_reception_cannot_be_booked_as_the_treating_practitioner(
    sched: Any, plan: Any, h: Any
) -> None:
    from mesocare.errors import Invalid

    sessions = [SessionChoice(1, h.at(h.day(0), 12), sched.members["reception"], sched.room)]
    with pytest.raises(Invalid):
        book_course(sched.actor(), plan, sessions)
    assert Membership.objects.count() == 4
