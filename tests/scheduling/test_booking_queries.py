"""Booking stays cheap for the database: one probe for every check of every session."""

from __future__ import annotations

from typing import Any

import pytest

from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services.courses import SessionChoice, book_course

PROBED_TABLES = ("scheduling_block", "clinics_workinghours", "clinics_openinghours")


def sessions(sched: Any, h: Any, n: int) -> list[SessionChoice]:
    return [
        SessionChoice(i, h.at(h.day(7 * (i - 1)), 12), sched.members["practitioner"], sched.room)
        for i in range(1, n + 1)
    ]


def probes(queries: list[dict[str, str]]) -> int:
    """How many queries read what only the conflict probe reads."""
    return sum(any(t in q["sql"] for t in PROBED_TABLES) for q in queries)


@pytest.mark.parametrize("n", [1, 4, 8])
def test_booking_a_course_probes_conflicts_in_one_query_whatever_its_length(
    sched: Any, h: Any, n: int, django_assert_max_num_queries: Any
) -> None:
    plan = h.make_plan(sched, sessions_planned=n, sessions_by_rule=n)
    choices = sessions(sched, h, n)
    # A fixed part (plan, safety check, probe, activation, the one course confirmation: 31
    # today) and the writes of each session (appointment, audit row, the deposit the price list
    # may ask, and the reminders the outbox queues, each checked against SMS opt-outs: 17 today,
    # 22 when each session had its own confirmation); a probe per session would exceed it from
    # two sessions on.
    with django_assert_max_num_queries(31 + 17 * n) as captured:
        booked = book_course(sched.actor("reception"), plan, choices)
    assert len(booked) == n
    assert probes(captured.captured_queries) == 1
    assert Appointment.objects.filter(plan=plan).count() == n
