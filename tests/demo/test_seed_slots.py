"""The scale seeder's slot book: appointments it hands out never share a practitioner/room
lane at the same time, stay inside the weekly grid, and fill a day before moving on."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mesocare.demo.scale.setup import WEEK
from mesocare.demo.scale.slots import SlotBook, lanes_for

week = st.lists(
    st.lists(st.integers(0, 47).map(lambda k: k * 30), max_size=6, unique=True).map(sorted),
    min_size=7,
    max_size=7,
).filter(lambda w: any(w))


@settings(max_examples=60, deadline=None)
@given(
    lanes=st.integers(1, 4),
    grid=week,
    first_weekday=st.integers(0, 6),
    days=st.integers(1, 30),
    asks=st.lists(st.integers(0, 29), max_size=300),
)
def test_no_lane_is_given_the_same_slot_twice(
    lanes: int, grid: list[list[int]], first_weekday: int, days: int, asks: list[int]
) -> None:
    book = SlotBook(lanes, grid, first_weekday, days, seed=3)
    given_out = []
    for day in asks:
        got = book.take(min(day, days - 1))
        if got is None:
            continue
        d, lane, minute = got
        assert d >= min(day, days - 1)
        assert 0 <= lane < lanes
        assert minute in grid[(first_weekday + d) % 7]
        given_out.append(got)
    assert len(given_out) == len(set(given_out))


@settings(max_examples=40, deadline=None)
@given(lanes=st.integers(1, 3), days=st.integers(1, 20))
def test_a_full_book_says_so_and_every_slot_was_used(lanes: int, days: int) -> None:
    book = SlotBook(lanes, WEEK, 0, days)
    capacity = sum(book.capacity(d) for d in range(days))
    taken = [book.take(0) for _ in range(capacity)]
    assert None not in taken
    assert book.take(0) is None
    assert len(set(taken)) == capacity


def test_a_busy_day_spreads_over_the_hours_and_lanes() -> None:
    book = SlotBook(4, WEEK, 0, 1, seed=1)
    first_ten = [book.take(0) for _ in range(10)]
    assert len({got[2] for got in first_ten if got}) > 3  # not all at 9:00
    assert len({got[1] for got in first_ten if got}) > 1


def test_lanes_leave_room_for_the_visits() -> None:
    days = 1156
    lanes = lanes_for(83_000, WEEK, days, load=0.7)
    book_capacity = lanes * sum(len(s) for s in WEEK) * days / 7
    assert 0.5 <= 83_000 / book_capacity <= 0.7
    assert lanes_for(10, WEEK, days) == 2  # never fewer than two practitioners
