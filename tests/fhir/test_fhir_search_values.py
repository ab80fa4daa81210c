"""Search values: date ranges and prefixes, tokens and references (pure parsing, no database),
with worked examples from the FHIR R4 search page (https://hl7.org/fhir/R4/search.html#date)
and properties that hold for every date."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesocare.fhir.outcome import FhirError
from mesocare.fhir.search import parse_date_range, reference_pk, split_token

UTC = dt.UTC


@pytest.mark.parametrize(
    ("raw", "prefix", "start", "end"),
    [
        ("2026", "eq", dt.datetime(2026, 1, 1, tzinfo=UTC), dt.datetime(2027, 1, 1, tzinfo=UTC)),
        (
            "ge2026-02",
            "ge",
            dt.datetime(2026, 2, 1, tzinfo=UTC),
            dt.datetime(2026, 3, 1, tzinfo=UTC),
        ),
        (
            "lt2026-12",
            "lt",
            dt.datetime(2026, 12, 1, tzinfo=UTC),
            dt.datetime(2027, 1, 1, tzinfo=UTC),
        ),
        (
            "le2026-01-31",
            "le",
            dt.datetime(2026, 1, 31, tzinfo=UTC),
            dt.datetime(2026, 2, 1, tzinfo=UTC),
        ),
        (
            "gt2026-01-31T09:00:00+01:00",
            "gt",
            dt.datetime(2026, 1, 31, 8, tzinfo=UTC),
            dt.datetime(2026, 1, 31, 8, 0, 1, tzinfo=UTC),
        ),
    ],
)
def test_date_values_denote_the_range_of_their_precision(
    raw: str, prefix: str, start: dt.datetime, end: dt.datetime
) -> None:
    got_prefix, got_start, got_end = parse_date_range(raw)
    assert (got_prefix, got_start, got_end) == (prefix, start, end)


@pytest.mark.parametrize("raw", ["yesterday", "2026-13", "2026-02-30", "sa2026", "1800", "ge", ""])
def test_unreadable_dates_are_400(raw: str) -> None:
    with pytest.raises(FhirError) as caught:
        parse_date_range(raw)
    assert caught.value.status == 400


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2199, 12, 30)))
def test_a_day_is_a_24_hour_range_inside_its_month_and_year(day: dt.date) -> None:
    _, start, end = parse_date_range(day.isoformat())
    assert end - start == dt.timedelta(days=1)
    _, month_start, month_end = parse_date_range(day.isoformat()[:7])
    _, year_start, year_end = parse_date_range(str(day.year))
    assert year_start <= month_start <= start < end <= month_end <= year_end


@given(st.integers(min_value=1, max_value=10**17))
def test_references_in_every_form_name_the_same_id(pk: int) -> None:
    for raw in (str(pk), f"Patient/{pk}", f"https://clinic.example/fhir/R4/Patient/{pk}"):
        assert reference_pk(raw, "Patient") == pk


@pytest.mark.parametrize("raw", ["Practitioner/1", "Patient/x", "abc", "Patient/", "1" * 19])
def test_bad_references_are_400(raw: str) -> None:
    with pytest.raises(FhirError):
        reference_pk(raw, "Patient")


def test_tokens_split_at_the_first_bar() -> None:
    assert split_token("http://loinc.org|29463-7") == ("http://loinc.org", "29463-7")
    assert split_token("29463-7") == (None, "29463-7")
    assert split_token("|x") == ("", "x")
