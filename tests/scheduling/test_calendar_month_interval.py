"""A plan whose protocol asks for "at least one month" between sessions (single-agent
deoxycholic acid: one calendar month) books, moves and proposes sessions by calendar months,
and the plan's target dates, the booking checks and the safety rule agree on every date:
a course started on 31 January may have its second session on 28 February (29 in a leap
year) and not a day earlier."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesocare.assessments.models import Assessment
from mesocare.catalog.models import Protocol
from mesocare.catalog.services import course_rules, current_version
from mesocare.clinics.models import OpeningHours, WorkingHours
from mesocare.core.planning import propose_course as plan_course
from mesocare.core.safety import PreviousSession
from mesocare.core.scales import ScoreResult
from mesocare.errors import Conflict
from mesocare.patients.services import records, registry
from mesocare.plans.models import TreatmentPlan
from mesocare.plans.services.creation import create_plan
from mesocare.safety.services import run_check
from mesocare.scheduling.models import Appointment
from mesocare.scheduling.services import appointments as appts
from mesocare.scheduling.services.booking import Conflicts
from mesocare.scheduling.services.courses import SessionChoice, book_course, propose_course
from mesocare.scheduling.services.intervals import gap_conflicts, gap_rule

DCA = "submental_fat_deoxycholic_acid"
# 31 January -> the first day one calendar month later.
YEARS = [(2031, dt.date(2031, 2, 28)), (2032, dt.date(2032, 2, 29))]


def dca_protocol() -> Protocol:
    return Protocol.objects.get(organization__isnull=True, code=DCA)


def ready_patient(clinic: Any) -> None:
    registry.update_patient(
        clinic.actor(),
        clinic.patient,
        pregnancy_status="not_pregnant",
        pregnancy_status_on=dt.date(2026, 12, 1),
    )
    records.add_consent(
        clinic.actor(), clinic.patient, kind="treatment", version="1", signed_on=dt.date(2026, 1, 2)
    )


def baseline(clinic: Any, grade: int, band: str) -> Assessment:
    actor = clinic.actor()
    return Assessment.objects.create(
        organization_id=actor.org_id,
        patient=clinic.patient,
        scale_id="cr-smfrs",
        items={"grade": grade},
        total=Decimal(grade),
        band=band,
        assessed_at=dt.datetime(2026, 12, 1, 10, tzinfo=dt.UTC),
        assessed_by=actor.user,
    )


def dca_plan(clinic: Any, start_on: dt.date, grade: int = 2, band: str = "moderate") -> Any:
    ready_patient(clinic)
    return create_plan(
        clinic.actor(),
        clinic.patient,
        protocol=dca_protocol(),
        baseline=baseline(clinic, grade, band),
        start_on=start_on,
    )


@pytest.fixture
def sunday_too(sched: Any) -> Any:
    """29 February 2032 is a Sunday: open that day as well."""
    OpeningHours.objects.create(
        location=sched.location, weekday=6, opens=dt.time(8), closes=dt.time(20)
    )
    WorkingHours.objects.create(
        organization=sched.org,
        membership=sched.members["practitioner"],
        location=sched.location,
        weekday=6,
        opens=dt.time(9),
        closes=dt.time(18),
    )
    return sched


def choices(sched: Any, h: Any, days: list[dt.date]) -> list[SessionChoice]:
    return [
        SessionChoice(n, h.at(d, 12), sched.members["practitioner"], sched.room)
        for n, d in enumerate(days, start=1)
    ]


def gap_refusals(conflicts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [c for c in conflicts if c["reason"] == "gap"]


def interval_codes(sched: Any, plan: TreatmentPlan, first: dt.date, on: dt.date) -> set[str]:
    """The safety check of the session on ``on`` after one of this protocol on ``first``."""
    protocol = plan.protocol
    last = PreviousSession(first, protocol_id=str(protocol.pk))
    result = run_check(
        sched.actor(), sched.patient, "booking", on=on, protocol=protocol, previous_sessions=[last]
    )
    return set(result.report.codes)


def test_the_plan_carries_the_calendar_month_minimum(sched: Any) -> None:
    plan = dca_plan(sched, dt.date(2031, 1, 31))
    assert plan.interval_min_months == 1
    assert plan.planned_sessions.get(index=2).earliest == dt.date(2031, 2, 28)


@pytest.mark.parametrize(("year", "month_later"), YEARS)
def test_second_session_a_month_after_31_january_through_the_service(
    sunday_too: Any, h: Any, year: int, month_later: dt.date
) -> None:
    sched = sunday_too
    first = dt.date(year, 1, 31)
    plan = dca_plan(sched, first)
    assert plan.planned_sessions.get(index=2).target == month_later
    day_before = month_later - dt.timedelta(days=1)
    with pytest.raises(Conflict) as refused:
        book_course(sched.actor(), plan, choices(sched, h, [first, day_before]))
    [gap] = gap_refusals(refused.value.context["conflicts"])
    # In 2032, 28 February is 28 days after 31 January: a day count would have let it through.
    expected = (2, (day_before - first).days, month_later.isoformat())
    assert (gap["index"], gap["gap_days"], gap["earliest"]) == expected
    assert "at least 1 month " in gap["message"] and "at least 28 days" not in gap["message"]
    assert not Appointment.objects.filter(plan=plan).exists()
    booked = book_course(sched.actor(), plan, choices(sched, h, [first, month_later]))
    assert [a.start.date() for a in booked] == [first, month_later]
    # The safety rule draws the line on the same day.
    assert "interval_too_short" in interval_codes(sched, plan, first, day_before)
    assert "interval_too_short" not in interval_codes(sched, plan, first, month_later)


@pytest.mark.parametrize(("year", "month_later"), YEARS)
def test_second_session_a_month_after_31_january_through_the_api(
    sunday_too: Any, h: Any, year: int, month_later: dt.date
) -> None:
    sched = sunday_too
    first = dt.date(year, 1, 31)
    plan = dca_plan(sched, first)
    api = sched.api("practitioner")

    def body(second: dt.date) -> dict[str, Any]:
        return {
            "sessions": [
                {
                    "index": n,
                    "start": h.iso(d, 12),
                    "practitioner": sched.members["practitioner"].pk,
                    "room": sched.room.pk,
                }
                for n, d in enumerate([first, second], start=1)
            ]
        }

    refused = api.post(f"plans/{plan.pk}/book", body(month_later - dt.timedelta(days=1)))
    assert refused.status_code == 409, refused.content
    assert refused["Content-Type"].startswith("application/problem+json")
    [gap] = gap_refusals(refused.json()["conflicts"])
    assert gap["earliest"] == month_later.isoformat() and "at least 1 month " in gap["message"]
    accepted = api.post(f"plans/{plan.pk}/book", body(month_later))
    assert accepted.status_code == 201, accepted.content


def test_moving_the_second_session_holds_to_the_calendar_month(sched: Any, h: Any) -> None:
    first, later = dt.date(2031, 1, 31), dt.date(2031, 3, 14)
    plan = dca_plan(sched, first)
    book_course(sched.actor(), plan, choices(sched, h, [first, later]))
    second = Appointment.objects.get(plan=plan, course_index=2)
    api = sched.api("practitioner")
    refused = api.patch(f"appointments/{second.pk}", {"start": h.iso(dt.date(2031, 2, 27), 12)})
    assert refused.status_code == 409, refused.content
    [gap] = gap_refusals(refused.json()["conflicts"])
    assert (gap["gap_days"], gap["earliest"]) == (27, "2031-02-28")
    assert "at least 1 month " in gap["message"] and "at least 28 days" not in gap["message"]
    moved = appts.move_appointment(sched.actor(), second, start=h.at(dt.date(2031, 2, 28), 12))
    assert moved.appointment.start == h.at(dt.date(2031, 2, 28), 12)


def test_course_proposals_place_sessions_a_calendar_month_apart(sched: Any) -> None:
    first = dt.date(2031, 1, 31)  # a Friday: every session below falls on a working day
    plan = dca_plan(sched, first)
    options = propose_course(sched.actor(), plan, sched.location, first)
    days = [s.start.astimezone(sched.location.tz).date() for s in options.proposals[0].sessions]
    # 31 Jan -> 28 Feb -> 28 Mar -> 28 Apr: each one calendar month after the one before.
    assert days == [first, dt.date(2031, 2, 28), dt.date(2031, 3, 28), dt.date(2031, 4, 28)]
    assert options.proposals[0].deviation_days == 0


@pytest.mark.django_db
@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(start=st.dates(min_value=dt.date(2027, 1, 1), max_value=dt.date(2099, 12, 31)))
def test_booking_minimum_is_the_planning_engines_calendar_month_date(
    sched: Any, h: Any, start: dt.date
) -> None:
    """For any start date, the first date a booking accepts for session 2 is the earliest
    date of session 2 in the plan the planning engine proposes (and a day before is refused)."""
    rules = course_rules(current_version(dca_protocol()).snapshot)
    proposal = plan_course(rules, ScoreResult("cr-smfrs", Decimal(2), "moderate"), start)
    planned = proposal.planned_sessions[1].earliest
    plan = TreatmentPlan(
        interval_min_days=proposal.interval.minimum,
        interval_target_days=proposal.interval.target,
        interval_max_days=proposal.interval.maximum,
        interval_min_months=proposal.interval.minimum_months,
    )
    assert gap_rule(plan).earliest(start) == planned
    location = sched.location
    for second, refused in ((planned, False), (planned - dt.timedelta(days=1), True)):
        conflicts = Conflicts()
        placed = {1: (h.at(start, 12), location), 2: (h.at(second, 12), location)}
        gap_conflicts(plan, placed, [2], conflicts)
        assert bool(conflicts) is refused
