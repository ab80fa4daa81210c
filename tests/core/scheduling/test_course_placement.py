"""Worked examples for ``place_course``: one clinic, read as a receptionist would."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from mesocare.core.scheduling import (
    CourseRequest,
    Infeasibility,
    Interval,
    PractitionerCalendar,
    Proposal,
    RoomCalendar,
    WeeklyHours,
    place_course,
)

ROME = ZoneInfo("Europe/Rome")
WEEKDAYS = WeeklyHours.from_mapping(
    {d: [(time(9), time(13)), (time(14), time(18))] for d in range(5)}
)
MONDAYS = WeeklyHours.from_mapping({0: [(time(9), time(13)), (time(14), time(18))]})
LUNCH = (time(11, 30), time(14, 30))
MON = date(2025, 3, 3)  # a Monday; the clocks go forward on Sunday 30 March


def sessions(count: int, minutes: int = 30) -> tuple[timedelta, ...]:
    return (timedelta(minutes=minutes),) * count


def local(day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ROME).astimezone(UTC)


def when(proposal: Proposal) -> list[str]:
    return [s.start.astimezone(ROME).strftime("%a %d/%m %H:%M") for s in proposal.sessions]


def weekly(count: int, **changes: object) -> CourseRequest:
    fields: dict = dict(
        sessions=sessions(count), earliest=MON, gap_min=5, gap_target=7, gap_max=10, window=LUNCH
    )
    fields.update(changes)
    return CourseRequest(**fields)


def test_eight_weekly_sessions_at_lunchtime_start_on_the_first_day() -> None:
    """Weekly course, 11:30-14:30 window: the break 13-14 leaves 11:30 as the earliest start,
    and the local time stays 11:30 across the DST switch of 30 March."""
    result = place_course(weekly(8), [PractitionerCalendar("a", WEEKDAYS)], [], [], ROME)
    best = result.proposals[0]
    assert best.deviation_days == 0
    assert when(best) == [
        f"Mon {d} 11:30"
        for d in ("03/03", "10/03", "17/03", "24/03", "31/03", "07/04", "14/04", "21/04")
    ]
    assert best.sessions[3].start.hour == 10 and best.sessions[4].start.hour == 9  # UTC
    assert best.finish == local(date(2025, 4, 21), 12)


def test_a_holiday_moves_one_session_and_the_next_gap_balances_it() -> None:
    """Mondays, plus one free Wednesday (26/03); 24/03 is a holiday and the course must end by
    28/04. The fourth session moves to Wednesday (gap 9) and the fifth comes back to Monday
    (gap 5): deviation 2 + 2 = 4, better than waiting a fortnight for the next Monday (7),
    and better than starting a week later at the same deviation (later finish)."""
    wednesday = date(2025, 3, 26)
    hours = WeeklyHours.from_mapping({0: MONDAYS.days[0], 2: MONDAYS.days[0]})
    blocked = tuple(
        Interval(local(day, 9), local(day, 18))
        for day in (
            date(2025, 3, 5),
            date(2025, 3, 12),
            date(2025, 3, 19),
            date(2025, 4, 2),
            date(2025, 4, 9),
            date(2025, 4, 16),
            date(2025, 4, 23),
        )
    )
    practitioner = PractitionerCalendar("a", hours, frozenset({date(2025, 3, 24)}), blocked)
    result = place_course(weekly(8, gap_max=14, horizon_days=57), [practitioner], [], [], ROME)
    best = result.proposals[0]
    assert best.deviation_days == 4
    assert [s.start.astimezone(ROME).date() for s in best.sessions][2:5] == [
        date(2025, 3, 17),
        wednesday,
        date(2025, 3, 31),
    ]


def test_the_room_of_the_required_kind_decides_the_time() -> None:
    facial = RoomCalendar(
        "f", "facial", WEEKDAYS, (Interval(local(MON, 11, 30), local(MON, 12, 25)),)
    )
    body = RoomCalendar("b", "body", WEEKDAYS)
    result = place_course(
        weekly(1, room_kind="facial"),
        [PractitionerCalendar("a", WEEKDAYS)],
        [body, facial],
        [],
        ROME,
    )
    session = result.proposals[0].sessions[0]
    assert (when(result.proposals[0]), session.room_id) == (["Mon 03/03 12:25"], "f")


def test_the_patients_other_appointments_are_avoided() -> None:
    patient = [Interval(local(MON, 11), local(MON, 12, 20))]
    result = place_course(weekly(2), [PractitionerCalendar("a", WEEKDAYS)], [], patient, ROME)
    assert when(result.proposals[0]) == ["Mon 03/03 12:20", "Mon 10/03 11:30"]


def test_same_practitioner_by_default_any_practitioner_on_request() -> None:
    """Anna works Mondays but is off on 10/03; Bruno works weekdays but is booked on 03/03.
    Only Bruno can take the whole course (from Tuesday); with any practitioner it starts
    with Anna on Monday and Bruno takes the second session."""
    anna = PractitionerCalendar("anna", MONDAYS, frozenset({MON + timedelta(days=7)}))
    bruno = PractitionerCalendar("bruno", WEEKDAYS, busy=(Interval(local(MON, 9), local(MON, 18)),))
    request = weekly(2, gap_min=7)
    same = place_course(request, [anna, bruno], [], [], ROME).proposals[0]
    assert when(same) == ["Tue 04/03 11:30", "Tue 11/03 11:30"]
    any_one = place_course(weekly(2, same_practitioner=False), [anna, bruno], [], [], ROME)
    assert [s.practitioner_id for s in any_one.proposals[0].sessions] == ["anna", "bruno"]


def test_alternatives_are_other_day_sequences_in_objective_order() -> None:
    """Deviation ranks first, so the next best courses are the same rhythm started later."""
    result = place_course(
        weekly(3), [PractitionerCalendar("a", WEEKDAYS)], [], [], ROME, alternatives=2
    )
    assert [when(p)[0] for p in result.proposals] == [
        "Mon 03/03 11:30",
        "Tue 04/03 11:30",
        "Wed 05/03 11:30",
    ]
    assert [p.deviation_days for p in result.proposals] == [0, 0, 0]


def test_an_earliest_instant_pushes_the_first_session_later_that_day() -> None:
    result = place_course(
        weekly(1, earliest=local(MON, 12, 2)), [PractitionerCalendar("a", WEEKDAYS)], [], [], ROME
    )
    assert when(result.proposals[0]) == ["Mon 03/03 12:05"]


HOLIDAYS = frozenset(MON + timedelta(days=d) for d in range(30))


@pytest.mark.parametrize(
    ("request_", "days_off", "reason", "relaxed"),
    [
        (weekly(2, horizon_days=30), HOLIDAYS, Infeasibility.NO_AVAILABILITY, None),
        (weekly(2, window=(time(13), time(14))), frozenset(), Infeasibility.WINDOW, "window"),
        (weekly(3, gap_min=2, gap_target=2, gap_max=3), frozenset(), Infeasibility.MAX_GAP, 7),
        (
            weekly(3, gap_min=8, gap_target=8, gap_max=8, horizon_days=20),
            frozenset(),
            Infeasibility.HORIZON,
            None,
        ),
    ],
)
def test_infeasible_courses_say_which_constraint_and_how_to_relax_it(
    request_: CourseRequest, days_off: frozenset[date], reason: Infeasibility, relaxed: object
) -> None:
    """Mondays only: a month of holidays; a window that is the lunch break; gaps of 2-3 days
    (7 is the smallest maximum that works); gaps of 8 days (no maximum fits in 20 days)."""
    practitioner = PractitionerCalendar("a", MONDAYS, days_off)
    result = place_course(request_, [practitioner], [], [], ROME)
    assert (result.proposals, result.infeasible_reason) == ((), reason)
    if relaxed is None:
        assert result.relaxation is None
    elif relaxed == "window":
        assert result.relaxation is not None and result.relaxation.request.window is None
    else:
        assert result.relaxation is not None
        assert result.relaxation.request.gap_max == relaxed
        assert result.relaxation.proposal.deviation_days == 2 * (7 - 2)


def test_changing_practitioner_is_the_first_relaxation_offered() -> None:
    anna = PractitionerCalendar("anna", MONDAYS)
    bruno = PractitionerCalendar("bruno", WeeklyHours.from_mapping({1: MONDAYS.days[0]}))
    result = place_course(
        weekly(2, gap_min=1, gap_target=1, gap_max=1), [anna, bruno], [], [], ROME
    )
    assert result.infeasible_reason is Infeasibility.SAME_PRACTITIONER
    assert result.relaxation is not None
    assert when(result.relaxation.proposal) == ["Mon 03/03 11:30", "Tue 04/03 11:30"]


def test_a_request_must_make_sense() -> None:
    with pytest.raises(ValueError, match="gap"):
        weekly(2, gap_min=8)
    with pytest.raises(ValueError, match="minutes"):
        weekly(2, sessions=(timedelta(seconds=90),))
