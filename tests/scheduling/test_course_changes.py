"""Moving sessions of a course, re-planning the rest, and the waitlist."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from mesocare.errors import Conflict
from mesocare.scheduling.choices import AppointmentStatus, WaitlistStatus
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import appointments as appts
from mesocare.scheduling.services import courses, waitlist


def book(sched: Any, plan: Any, h: Any, days: list[int], hour: int = 12) -> list[Appointment]:
    return courses.book_course(
        sched.actor(),
        plan,
        [
            courses.SessionChoice(
                n, h.at(h.day(d), hour), sched.members["practitioner"], sched.room
            )
            for n, d in enumerate(days, start=1)
        ],
    )


def test_moving_a_session_too_close_to_the_previous_one_is_refused(
    sched: Any, plan: Any, h: Any
) -> None:
    second = book(sched, plan, h, [0, 7, 14, 21])[1]
    with pytest.raises(Conflict) as caught:
        appts.move_appointment(sched.actor(), second, start=h.at(h.day(2), 12))
    assert caught.value.context["conflicts"][0]["reason"] == "gap"
    second.refresh_from_db()
    assert second.start == h.at(h.day(7), 12)


def test_moving_a_session_later_offers_to_shift_the_later_sessions(
    sched: Any, plan: Any, h: Any
) -> None:
    second = book(sched, plan, h, [0, 7, 14, 21])[1]
    result = appts.move_appointment(sched.actor(), second, start=h.at(h.day(11), 12))
    assert result.appointment.start == h.at(h.day(11), 12)
    assert result.later_sessions_invalid == (3,)  # 3 days after the moved session
    assert result.shift_offer is not None
    offer = result.shift_offer.proposals[0]
    assert [s.index for s in offer.sessions] == [3, 4]
    assert [s.start for s in offer.sessions] == [h.at(h.day(18), 12), h.at(h.day(25), 12)]
    assert offer.deviation_days == 0
    # apply it: booked sessions move, all or nothing
    moved = courses.reschedule_course(
        sched.actor(),
        plan,
        [
            courses.SessionChoice(s.index, s.start, sched.members["practitioner"], sched.room)
            for s in offer.sessions
        ],
    )
    assert {a.course_index for a in moved} == {3, 4}
    starts = dict(
        Appointment.objects.filter(plan=plan, status="booked").values_list("course_index", "start")
    )
    assert starts == {
        1: h.at(h.day(0), 12),
        2: h.at(h.day(11), 12),
        3: h.at(h.day(18), 12),
        4: h.at(h.day(25), 12),
    }


def test_after_a_missed_session_the_rest_is_replanned_from_the_last_one_held(
    sched: Any, plan: Any, h: Any, monkeypatch: Any
) -> None:
    first, second, *_ = book(sched, plan, h, [0, 7, 14, 21])
    now = h.at(h.day(8), 9)
    monkeypatch.setattr(timezone, "now", lambda: now)
    Appointment.objects.filter(pk=first.pk).update(status=AppointmentStatus.COMPLETED)
    appts.mark_no_show(sched.actor(), second)
    options = courses.propose_rest(
        sched.actor(), plan, sched.location, window=(dt.time(12), dt.time(12, 30))
    )
    best = options.proposals[0]
    assert [s.index for s in best.sessions] == [2, 3, 4]
    # the gap to session 1 (day 0) is kept: 8..14 days; the earliest target-keeping day wins
    assert h.day(8) <= best.sessions[0].start.astimezone(h.ROME).date() <= h.day(14)
    assert not options.gap_reset


def test_a_cancelled_slot_is_offered_to_the_first_matching_waiter(
    sched: Any, plan: Any, h: Any
) -> None:
    appointment = book(sched, plan, h, [0])[0]
    other = sched.patient.__class__.objects.create(
        organization=sched.org,
        given_name="Anna",
        family_name="Neri",
        birth_date="1985-01-01",
        sex_at_birth="female",
    )
    third = sched.patient.__class__.objects.create(
        organization=sched.org,
        given_name="Bea",
        family_name="Verdi",
        birth_date="1985-01-01",
        sex_at_birth="female",
    )
    actor = sched.actor("reception")
    picky = waitlist.add_to_waitlist(
        actor,
        patient=third,
        location=sched.location,
        earliest=h.day(0),
        duration_min=30,
        window=(dt.time(16), dt.time(18)),
    )
    first = waitlist.add_to_waitlist(
        actor,
        patient=other,
        location=sched.location,
        earliest=h.day(0),
        duration_min=20,
    )
    appts.cancel_appointment(actor, appointment, "patient has the flu")
    first.refresh_from_db()
    picky.refresh_from_db()
    assert picky.status == WaitlistStatus.WAITING  # the window does not fit
    assert first.status == WaitlistStatus.OFFERED
    assert first.offered_start == h.at(h.day(0), 12)
    assert first.offered_end == h.at(h.day(0), 12, 20)
    assert first.offered_appointment_id == appointment.pk
    booked = waitlist.accept_offer(actor, first)
    assert booked.patient_id == other.pk
    assert booked.start == h.at(h.day(0), 12)
    first.refresh_from_db()
    assert first.status == WaitlistStatus.BOOKED


def test_cancelling_needs_a_reason_and_frees_the_slot(sched: Any, plan: Any, h: Any) -> None:
    appointment = book(sched, plan, h, [0])[0]
    from mesocare.errors import Invalid

    with pytest.raises(Invalid):
        appts.cancel_appointment(sched.actor(), appointment, " ")
    appts.cancel_appointment(sched.actor(), appointment, "moved away")
    # the same session can be booked again
    again = book(sched, plan, h, [0])[0]
    assert again.status == AppointmentStatus.BOOKED
