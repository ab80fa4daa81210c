"""`unstorable_reason`: which values the database and the clock can hold, and the errors the API
reports for the rest (named by field, inside schemas and lists)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from ninja import Schema

from mesocare.api.inputs import (
    DATE_MAX,
    DATE_MIN,
    INT_MAX,
    INT_MIN,
    unstorable_errors,
    unstorable_reason,
)


@given(st.integers())
def test_an_integer_is_storable_exactly_when_it_fits_64_bits(value: int) -> None:
    assert (unstorable_reason(value) is None) == (INT_MIN <= value <= INT_MAX)


@given(st.dates())
def test_a_date_is_storable_exactly_inside_the_supported_range(value: dt.date) -> None:
    assert (unstorable_reason(value) is None) == (DATE_MIN <= value <= DATE_MAX)


@given(st.datetimes(timezones=st.timezones()))
def test_a_storable_datetime_can_always_be_shifted_to_utc(value: dt.datetime) -> None:
    if unstorable_reason(value) is None:
        value.astimezone(dt.UTC)  # never overflows inside the range


@given(st.text())
def test_text_is_storable_exactly_without_nul(value: str) -> None:
    assert (unstorable_reason(value) is None) == ("\x00" not in value)


def test_worked_examples() -> None:
    assert unstorable_reason(2**63) == f"Must be between {INT_MIN} and {INT_MAX}."
    assert unstorable_reason(2**63 - 1) is None
    assert unstorable_reason(True) is None
    assert unstorable_reason(dt.date(9999, 12, 31)) is not None
    assert unstorable_reason(Decimal("NaN")) is not None
    assert unstorable_reason(Decimal("1e12")) is not None
    assert unstorable_reason(Decimal("999999999999.99")) is None


class Line(Schema):
    lot: int
    note: str = ""


class Order(Schema):
    due: dt.date
    lines: list[Line]


def test_errors_name_the_field_inside_schemas_and_lists() -> None:
    order = Order(due=dt.date(9000, 1, 1), lines=[Line(lot=1), Line(lot=2**70, note="a\x00")])
    errors = unstorable_errors({"order_id": 2**64, "payload": order})
    assert [e["loc"] for e in errors] == [
        ("order_id",),
        ("due",),
        ("lines", 1, "lot"),
        ("lines", 1, "note"),
    ]


def test_times_of_day_with_a_utc_offset_are_a_422_on_the_field(api: Any, clinic: Any) -> None:
    """Opening hours and booking windows are local times of the location: an offset ("09:00Z")
    cannot be compared with them and is refused, not a 500."""
    hours = [{"weekday": 0, "opens": "09:00:00Z", "closes": "18:00:00"}]
    r = api.patch(f"locations/{clinic.location.pk}", {"opening_hours": hours})
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"].startswith("opening_hours")
    r = api.get(
        f"availability?location={clinic.location.pk}&date_from=2031-01-06"
        "&date_to=2031-01-07&duration_min=30&window=11:30Z-14:30"
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "window"
