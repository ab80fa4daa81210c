"""Calendar months (audit partitions and archives): parsing, stepping, spans, retention."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from mesocare.core.months import Month, months_covering, newest_archivable

months = st.builds(Month, st.integers(2, 9998), st.integers(1, 12))


def test_parse_and_print():
    assert Month.parse("2026-12") == Month(2026, 12) and str(Month(2026, 1)) == "2026-01"
    for bad in ("2026-13", "2026-1", "26-01", "2026/01", "", "2026-00"):
        with pytest.raises(ValueError):
            Month.parse(bad)


def test_stepping_crosses_years():
    assert Month(2026, 12).plus(1) == Month(2027, 1)
    assert Month(2027, 1).plus(-13) == Month(2025, 12)
    assert Month(2026, 11).until(Month(2027, 2)) == [
        Month(2026, 11),
        Month(2026, 12),
        Month(2027, 1),
    ]


def test_months_covering_is_in_utc():
    rome = dt.timezone(dt.timedelta(hours=1))
    # 00:30 on 1 March in Rome is still February in UTC.
    start = dt.datetime(2026, 3, 1, 0, 30, tzinfo=rome)
    assert months_covering(start, dt.datetime(2026, 4, 2, tzinfo=dt.UTC)) == [
        Month(2026, 2),
        Month(2026, 3),
        Month(2026, 4),
    ]


def test_six_years_retention_on_the_seventh_of_december_2026():
    assert newest_archivable(dt.date(2026, 12, 7), 72) == Month(2020, 12)
    assert newest_archivable(dt.date(2026, 12, 7), 0) == Month(2026, 12)
    with pytest.raises(ValueError):
        newest_archivable(dt.date(2026, 12, 7), -1)


@given(months, st.integers(-500, 500))
def test_plus_is_undone_and_matches_the_span(month, n):
    assume(12 <= month.index + n < 10000 * 12)
    later = month.plus(n)
    assert later.plus(-n) == month
    span = month.until(later) if n >= 0 else later.until(month)
    assert len(span) == abs(n)
    assert all(b.index == a.index + 1 for a, b in zip(span, span[1:], strict=False))


@given(months)
def test_parse_reads_what_str_writes_and_start_is_the_first_instant(month):
    assert Month.parse(str(month)) == month
    start = month.start_utc()
    assert Month.of(start) == month and Month.of(start - dt.timedelta(microseconds=1)) < month


@given(st.dates(min_value=dt.date(1900, 1, 1)), st.integers(0, 600))
def test_whatever_the_retention_allows_is_at_least_that_old(today, retention):
    newest = newest_archivable(today, retention)
    # The youngest event an archive before `newest` removes is older than `retention` months.
    youngest_removed = newest.first_day() - dt.timedelta(days=1)
    assert Month.of(youngest_removed).index <= Month.of(today).index - retention - 1
