"""Worked examples for ``free_slots``: hours, breaks, days off, busy time, rooms and DST."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from mesocare.core.scheduling import (
    Interval,
    PractitionerCalendar,
    RoomCalendar,
    WeeklyHours,
    free_slots,
)

ROME = ZoneInfo("Europe/Rome")
NEW_YORK = ZoneInfo("America/New_York")
EVERY_DAY = WeeklyHours.from_mapping({d: [(time(9), time(12))] for d in range(7)})
HALF_HOUR = timedelta(minutes=30)


def local(tz: ZoneInfo, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz).astimezone(UTC)


def starts(slots: list, tz: ZoneInfo) -> list[str]:
    return [s.start.astimezone(tz).strftime("%H:%M") for s in slots]


def test_a_morning_offers_every_five_minute_start_that_ends_in_time() -> None:
    slots = free_slots(
        PractitionerCalendar("a", EVERY_DAY),
        [],
        [],
        ROME,
        date(2025, 6, 2),
        date(2025, 6, 2),
        HALF_HOUR,
    )
    assert len(slots) == 31  # 09:00 .. 11:30
    assert starts(slots, ROME)[0] == "09:00" and starts(slots, ROME)[-1] == "11:30"
    assert all(s.end - s.start == HALF_HOUR and s.room_id is None for s in slots)


def test_a_break_splits_the_day_and_adjacent_hours_join() -> None:
    hours = WeeklyHours.from_mapping(
        {0: [(time(9), time(10)), (time(10), time(10, 20)), (time(11), time(11, 30))]}
    )
    slots = free_slots(
        PractitionerCalendar("a", hours),
        [],
        [],
        ROME,
        date(2025, 6, 2),
        date(2025, 6, 2),
        HALF_HOUR,
        granularity_min=15,
    )
    assert starts(slots, ROME) == ["09:00", "09:15", "09:30", "09:45", "11:00"]


def test_days_off_and_closed_weekdays_have_no_slots() -> None:
    hours = WeeklyHours.from_mapping({0: [(time(9), time(12))]})
    practitioner = PractitionerCalendar("a", hours, days_off=frozenset({date(2025, 6, 9)}))
    slots = free_slots(practitioner, [], [], ROME, date(2025, 6, 2), date(2025, 6, 15), HALF_HOUR)
    assert {s.start.date() for s in slots} == {date(2025, 6, 2)}


def test_busy_time_of_practitioner_and_patient_is_avoided_and_the_grid_is_kept() -> None:
    day = date(2025, 6, 2)
    practitioner = PractitionerCalendar(
        "a", EVERY_DAY, busy=(Interval(local(ROME, day, 9, 0), local(ROME, day, 10, 7)),)
    )
    patient = [Interval(local(ROME, day, 10, 50), local(ROME, day, 11, 40))]
    slots = free_slots(practitioner, [], patient, ROME, day, day, HALF_HOUR, granularity_min=15)
    assert starts(slots, ROME) == ["10:15"]


def test_the_window_holds_the_whole_session() -> None:
    slots = free_slots(
        PractitionerCalendar("a", EVERY_DAY),
        [],
        [],
        ROME,
        date(2025, 6, 2),
        date(2025, 6, 2),
        HALF_HOUR,
        window=(time(10, 30), time(11, 30)),
        granularity_min=15,
    )
    assert starts(slots, ROME) == ["10:30", "10:45", "11:00"]


def test_each_slot_needs_one_room_of_the_kind_free_for_the_whole_session() -> None:
    day = date(2025, 6, 2)
    body = RoomCalendar("b", "body", EVERY_DAY)
    facial_1 = RoomCalendar(
        "f1", "facial", EVERY_DAY, (Interval(local(ROME, day, 9), local(ROME, day, 10, 15)),)
    )
    facial_2 = RoomCalendar(
        "f2", "facial", EVERY_DAY, (Interval(local(ROME, day, 10), local(ROME, day, 12)),)
    )
    slots = free_slots(
        PractitionerCalendar("a", EVERY_DAY),
        [facial_2, body, facial_1],
        [],
        ROME,
        day,
        day,
        HALF_HOUR,
        granularity_min=15,
        room_kind="facial",
    )
    assert [(t, s.room_id) for t, s in zip(starts(slots, ROME), slots, strict=True)] == [
        ("09:00", "f2"),
        ("09:15", "f2"),
        ("09:30", "f2"),
        ("10:15", "f1"),
        ("10:30", "f1"),
        ("10:45", "f1"),
        ("11:00", "f1"),
        ("11:15", "f1"),
        ("11:30", "f1"),
    ]


def test_no_room_of_the_kind_means_no_slot() -> None:
    slots = free_slots(
        PractitionerCalendar("a", EVERY_DAY),
        [RoomCalendar("b", "body", EVERY_DAY)],
        [],
        ROME,
        date(2025, 6, 2),
        date(2025, 6, 2),
        HALF_HOUR,
        room_kind="facial",
    )
    assert slots == []


@pytest.mark.parametrize(
    ("tz", "day", "offsets"),
    [
        (ROME, date(2025, 3, 30), (1, 2)),  # spring forward: 02:00 -> 03:00
        (ROME, date(2025, 10, 26), (2, 1)),  # fall back: 03:00 -> 02:00
        (NEW_YORK, date(2025, 3, 9), (-5, -4)),
        (NEW_YORK, date(2025, 11, 2), (-4, -5)),
    ],
)
def test_wall_clock_hours_follow_the_offset_of_each_side_of_a_dst_switch(
    tz: ZoneInfo, day: date, offsets: tuple[int, int]
) -> None:
    practitioner = PractitionerCalendar("a", EVERY_DAY)
    slots = free_slots(practitioner, [], [], tz, day - timedelta(days=1), day, HALF_HOUR)
    before = [s for s in slots if s.start.astimezone(tz).date() < day]
    on_switch_day = [s for s in slots if s.start.astimezone(tz).date() == day]
    for group, offset in zip((before, on_switch_day), offsets, strict=True):
        assert len(group) == 31
        assert starts(group, tz)[0] == "09:00" and starts(group, tz)[-1] == "11:30"
        assert group[0].start.hour == (9 - offset) % 24


def test_hours_across_a_switch_last_as_long_as_the_clock_really_runs() -> None:
    night = WeeklyHours.from_mapping({6: [(time(1), time(4))]})  # a Sunday night shift
    spring = free_slots(
        PractitionerCalendar("a", night),
        [],
        [],
        ROME,
        date(2025, 3, 30),
        date(2025, 3, 30),
        timedelta(hours=2),
        granularity_min=60,
    )
    autumn = free_slots(
        PractitionerCalendar("a", night),
        [],
        [],
        ROME,
        date(2025, 10, 26),
        date(2025, 10, 26),
        timedelta(hours=2),
        granularity_min=60,
    )
    assert [s.end - s.start for s in spring] == [timedelta(hours=2)]  # 01:00-04:00 is 2 h
    assert len(autumn) == 3  # ... and 4 h on the night the clock goes back


def test_intervals_must_be_aware_and_hours_sorted() -> None:
    with pytest.raises(ValueError, match="aware"):
        Interval(datetime(2025, 1, 1), datetime(2025, 1, 2))
    with pytest.raises(ValueError, match="sorted"):
        WeeklyHours.from_mapping({0: [(time(9), time(12)), (time(11), time(13))]})
