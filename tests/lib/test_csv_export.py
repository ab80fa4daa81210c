"""The one CSV writer: no text cell reaches a spreadsheet as a formula."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from mesocare.lib.csv_export import FORMULA_STARTS, csv_text, safe_cell


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def test_formula_cells_are_written_as_text() -> None:
    rows = [['=HYPERLINK("http://x")', "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", "plain"]]
    assert _read(csv_text(["a"] * 7, rows))[1] == [
        "'=HYPERLINK(\"http://x\")", "'+1", "'-2+3", "'@SUM(A1)", "'\tx", "'\rx", "plain",
    ]  # fmt: skip


def test_numbers_dates_and_json_keep_their_value() -> None:
    rows = [[Decimal("-1.5"), -3, None, {"name": ["=x", "y"]}, True]]
    assert _read(csv_text(["a"] * 5, rows))[1] == [
        "-1.5", "-3", "", '{"name": ["=x", "y"]}', "True",
    ]  # fmt: skip


def test_the_header_is_neutralised_too() -> None:
    assert _read(csv_text(["=cmd"], []))[0] == ["'=cmd"]


@given(st.lists(st.lists(st.text(max_size=12), min_size=1, max_size=4), max_size=5))
def test_no_text_cell_read_back_starts_like_a_formula(rows: list[list[str]]) -> None:
    read = _read(csv_text(["h"] * max((len(r) for r in rows), default=1), rows))
    for written, original in zip(read[1:], rows, strict=True):
        for cell, value in zip(written, original, strict=True):
            assert not cell.startswith(FORMULA_STARTS)
            assert cell == (("'" + value) if value.startswith(FORMULA_STARTS) else value)


@given(st.text(max_size=20))
def test_safe_cell_only_ever_prefixes_an_apostrophe(value: str) -> None:
    out = safe_cell(value)
    assert out in (value, "'" + value)
