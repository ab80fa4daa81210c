"""The minimum and maximum intervals between course sessions hold to the day.

A plan whose minimum interval is 7 days: a session 6 calendar days after the previous one is
refused, 7 days is accepted — when booking a course and when moving a session. The protocol
is one with a day-based interval (a cellulite cocktail), whatever other protocols count in.
"""

from __future__ import annotations

from typing import Any

import pytest

from mesocare.catalog.models import Protocol
from mesocare.errors import Conflict
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import appointments as appts
from mesocare.scheduling.services.courses import SessionChoice, book_course

MIN_DAYS, TARGET_DAYS, MAX_DAYS = 7, 10, 21
FIRST = 1  # Tuesday 26 March 2030: every day tried below is a working day


@pytest.fixture
def day_plan(sched: Any, h: Any) -> Any:
    protocol = Protocol.objects.get(organization__isnull=True, code="cellulite_cocktail_nappage")
    return h.make_plan(
        sched,
        protocol=protocol,
        sessions_planned=2,
        sessions_by_rule=2,
        interval_min_days=MIN_DAYS,
        interval_target_days=TARGET_DAYS,
        interval_max_days=MAX_DAYS,
        response_check_session=2,
    )


def sessions(sched: Any, h: Any, days: list[int]) -> list[SessionChoice]:
    return [
        SessionChoice(n, h.at(h.day(d), 12), sched.members["practitioner"], sched.room)
        for n, d in enumerate(days, start=1)
    ]


def gap_refusals(exc: Conflict) -> list[tuple[int, int]]:
    return [(c["index"], c["gap_days"]) for c in exc.context["conflicts"] if c["reason"] == "gap"]


@pytest.mark.parametrize("gap", [MIN_DAYS - 1, MAX_DAYS + 1])
def test_booking_a_session_one_day_outside_the_interval_is_refused(
    sched: Any, day_plan: Any, h: Any, gap: int
) -> None:
    with pytest.raises(Conflict) as refused:
        book_course(sched.actor(), day_plan, sessions(sched, h, [FIRST, FIRST + gap]))
    assert gap_refusals(refused.value) == [(2, gap)]
    assert not Appointment.objects.filter(plan=day_plan).exists()


@pytest.mark.parametrize("gap", [MIN_DAYS, MAX_DAYS])
def test_booking_a_session_exactly_at_the_interval_limit_is_accepted(
    sched: Any, day_plan: Any, h: Any, gap: int
) -> None:
    booked = book_course(sched.actor(), day_plan, sessions(sched, h, [FIRST, FIRST + gap]))
    assert [a.course_index for a in booked] == [1, 2]


def booked_pair(sched: Any, day_plan: Any, h: Any) -> Appointment:
    book_course(sched.actor(), day_plan, sessions(sched, h, [FIRST, FIRST + 14]))
    return Appointment.objects.get(plan=day_plan, course_index=2)


def test_moving_a_session_to_one_day_less_than_the_minimum_is_refused(
    sched: Any, day_plan: Any, h: Any
) -> None:
    second = booked_pair(sched, day_plan, h)
    with pytest.raises(Conflict) as refused:
        appts.move_appointment(sched.actor(), second, start=h.at(h.day(FIRST + MIN_DAYS - 1), 12))
    assert gap_refusals(refused.value) == [(2, MIN_DAYS - 1)]
    second.refresh_from_db()
    assert second.start == h.at(h.day(FIRST + 14), 12)


def test_moving_a_session_to_exactly_the_minimum_is_accepted(
    sched: Any, day_plan: Any, h: Any
) -> None:
    second = booked_pair(sched, day_plan, h)
    result = appts.move_appointment(sched.actor(), second, start=h.at(h.day(FIRST + MIN_DAYS), 12))
    assert result.appointment.start == h.at(h.day(FIRST + MIN_DAYS), 12)
    second.refresh_from_db()
    assert second.start == h.at(h.day(FIRST + MIN_DAYS), 12)
