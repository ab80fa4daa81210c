"""The export's timestamp loader (PostgreSQL): every timestamptz reads as the same aware
datetime as through Django's own loader — microseconds, other offsets, the far past — what it
cannot read fails exactly as Django's loader does, and the connection gets Django's loader back
afterwards."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DataError, connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mesocare.fhir.bulk.timestamps import iso_timestamps

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL loader"),
]

moments = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(dt.UTC)
)
zones = st.sampled_from(["UTC", "Europe/Rome", "America/New_York", "Asia/Kolkata"])


def _read(text: str) -> dt.datetime:
    with connection.cursor() as cursor:
        cursor.execute("SELECT %s::timestamptz", [text])
        return cursor.fetchone()[0]  # type: ignore[no-any-return]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(moment=moments, zone=zones)
def test_the_same_datetime_as_djangos_loader(moment: dt.datetime, zone: str) -> None:
    text = f"{moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat()} {zone}"
    expected = _read(text)
    with iso_timestamps():
        fast = _read(text)
    assert fast == expected and fast.utcoffset() == dt.timedelta(0)
    assert fast.isoformat() == expected.isoformat()


def test_what_it_cannot_read_goes_to_djangos_loader_and_the_loader_is_restored() -> None:
    with pytest.raises(DataError, match="after year 10K") as django_error:
        _read("infinity")
    with iso_timestamps(), pytest.raises(DataError) as fast_error:
        _read("infinity")
    assert str(fast_error.value) == str(django_error.value)
    loader = connection.connection.adapters.get_loader(
        connection.connection.adapters.types["timestamptz"].oid, 0
    )
    assert loader.__name__ != "IsoTimestamptzLoader"
