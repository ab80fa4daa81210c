"""The one CSV writer of every export (audit log, recall recipients, outcomes report).

Spreadsheets run a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and a
leading tab or carriage return is skipped before that test), so a patient named
``=HYPERLINK(...)`` would become a live link in the clinic's spreadsheet (OWASP, "CSV
Injection"). Every text cell that starts with one of these is prefixed with an apostrophe,
which spreadsheets show as plain text. Numbers, dates and booleans are written as they are: a
negative quantity is data, not a formula.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """``value`` as a cell no spreadsheet evaluates."""
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def write_csv(target: Writable, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """Write ``header`` and ``rows`` to ``target`` (a file, a StringIO or an HttpResponse);
    returns the number of rows written."""
    writer = csv.writer(target)
    writer.writerow([safe_cell(name) for name in header])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    write_csv(out, header, rows)
    return out.getvalue()
