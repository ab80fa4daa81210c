"""Pure parts of online booking, with hypothesis: leading zero bits of a digest, the proof of
work (a found nonce always verifies against the same check), the form value of a slot (round
trip), and one start per time."""

from __future__ import annotations

import datetime as dt
import hashlib

from hypothesis import given
from hypothesis import strategies as st

from mesocare.booking.services.abuse import leading_zero_bits, solve, solves
from mesocare.booking.services.slots import PublicSlot, one_per_start, parse_slot_value
from mesocare.errors import Invalid


@given(st.binary(min_size=1, max_size=32))
def test_leading_zero_bits_matches_the_binary_expansion(data: bytes) -> None:
    bits = "".join(f"{b:08b}" for b in data)
    assert leading_zero_bits(data) == len(bits) - len(bits.lstrip("0"))


def test_leading_zero_bits_worked_examples() -> None:
    assert leading_zero_bits(bytes([0, 0, 0x80])) == 16
    assert leading_zero_bits(bytes([0x0F])) == 4
    assert leading_zero_bits(bytes([0, 1])) == 15


@given(st.text(min_size=1, max_size=40), st.integers(min_value=0, max_value=8))
def test_a_solved_nonce_has_the_required_zero_bits(token: str, bits: int) -> None:
    nonce = solve(token, bits)
    digest = hashlib.sha256(f"{token}:{nonce}".encode()).digest()
    assert solves(token, nonce, bits) and leading_zero_bits(digest) >= bits


moments = st.datetimes(
    min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1), timezones=st.just(dt.UTC)
)


@given(moments, st.integers(1, 10**9), st.integers(1, 10**9))
def test_a_slot_value_round_trips(start: dt.datetime, practitioner: int, room: int) -> None:
    slot = PublicSlot(start, start + dt.timedelta(minutes=30), practitioner, room)
    assert parse_slot_value(slot.value) == (practitioner, room, start)


@given(st.text(max_size=60))
def test_a_forged_slot_value_is_a_field_error_or_a_valid_triple(value: str) -> None:
    try:
        practitioner, room, start = parse_slot_value(value)
    except Invalid as exc:
        assert exc.errors[0]["field"] == "slot"
    else:
        assert start.tzinfo is not None and isinstance(practitioner + room, int)


@given(st.lists(st.tuples(st.integers(0, 20), st.integers(1, 5)), max_size=30))
def test_one_per_start_keeps_the_first_of_each_start(pairs: list[tuple[int, int]]) -> None:
    base = dt.datetime(2030, 1, 1, 9, tzinfo=dt.UTC)
    slots = sorted(
        (PublicSlot(base + dt.timedelta(minutes=15 * s), base, p, 1) for s, p in pairs),
        key=lambda s: (s.start, s.practitioner_id),
    )
    listed = one_per_start(slots)
    assert [s.start for s in listed] == sorted({s.start for s in slots})
    for shown in listed:
        assert shown == next(s for s in slots if s.start == shown.start)
