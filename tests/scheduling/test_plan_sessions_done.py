"""A plan's sessions done are its signed treatment sessions: signing one counts it, and the
review takes that count when none is given."""

from __future__ import annotations

from typing import Any

from mesocare.charting.models import TreatmentSession
from mesocare.charting.services.sessions import sign_session
from mesocare.plans.models import PlannedSession
from mesocare.plans.services.review import sessions_done_default


def open_session(sched: Any, planned: PlannedSession | None) -> TreatmentSession:
    return TreatmentSession.objects.create(
        organization=sched.org,
        patient=sched.patient,
        practitioner=sched.members["practitioner"],
        location=sched.location,
        planned_session=planned,
        created_by=sched.user("practitioner"),
    )


def test_signing_a_course_session_counts_it_for_the_plan(sched: Any, h: Any) -> None:
    plan = h.make_plan(sched)
    first, second = PlannedSession.objects.filter(plan=plan).order_by("index")[:2]
    practitioner = sched.actor("practitioner")
    assert sessions_done_default(plan) == 0

    sign_session(practitioner, open_session(sched, first))
    plan.refresh_from_db()
    assert plan.sessions_done == 1

    unsigned = open_session(sched, second)
    sign_session(practitioner, open_session(sched, None))  # a walk-in: not the plan's
    plan.refresh_from_db()
    assert plan.sessions_done == 1 and sessions_done_default(plan) == 1

    sign_session(practitioner, unsigned)
    plan.refresh_from_db()
    assert plan.sessions_done == 2 and sessions_done_default(plan) == 2
