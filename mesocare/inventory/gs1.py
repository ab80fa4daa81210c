"""GS1 element strings from DataMatrix / GS1-128 scans: GTIN, lot and expiry.

Pure: no Django, no clock. Accepts both forms a scanner or a person produces:

* raw: ``]d2`` (or ``]C1``/``]Q3``) symbology prefix optional, AIs written back to back,
  variable-length fields ended by FNC1, which scanners send as GS (``\\x1d``); a literal
  ``<GS>`` is accepted as well (keyboard wedges and hand-typed test data);
* human-readable (HRI): ``(01)09501101530003(17)140704(10)AB-123``.

Source: GS1 General Specifications, §3 (AI definitions: (01) GTIN N14 with check digit,
(10) batch/lot X..20, (11) production date N6, (17) expiration date N6 where DD = 00 means
the last day of the month, (21) serial X..20) and §7.12 (the century of YY dates).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from datetime import date

GS = "\x1d"
SYMBOLOGY_PREFIXES = ("]d2", "]C1", "]Q3", "]J1", "]e0")

# AI → (fixed length of the data, or None for variable) and maximum length.
_FIXED: dict[str, int] = {
    "00": 18,
    "01": 14,
    "02": 14,
    "11": 6,
    "12": 6,
    "13": 6,
    "15": 6,
    "16": 6,
    "17": 6,
    "20": 2,
}
_VARIABLE: dict[str, int] = {
    "10": 20,
    "21": 20,
    "22": 20,
    "30": 8,
    "240": 30,
    "241": 30,
    "710": 20,
    "711": 20,
    "712": 20,
    "713": 20,
    "714": 20,
    "715": 20,
}
_DATE_AIS = frozenset({"11", "12", "13", "15", "16", "17"})
_GS1_CHARSET = re.compile(r"^[!\"%&'()*+,\-./0-9:;<=>?A-Z_a-z]*$")
_HRI_AI = re.compile(r"\((\d{2,4})\)")


class GS1Error(ValueError):
    """The scanned text is not a valid GS1 element string."""


@dataclass(frozen=True)
class GS1Data:
    gtin: str | None = None
    lot: str | None = None
    expiry: date | None = None
    production_date: date | None = None
    serial: str | None = None
    elements: dict[str, str] = field(default_factory=dict)


def gtin_check_digit(body: str) -> int:
    """Check digit for the first 13 (or n-1) digits: weights 3,1,3,… from the right."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(gtin: str) -> bool:
    """A GTIN-8/12/13/14 with a correct check digit."""
    if not gtin.isdigit() or len(gtin) not in (8, 12, 13, 14):
        return False
    return gtin_check_digit(gtin[:-1]) == int(gtin[-1])


def gtin14(gtin: str) -> str:
    """Any GTIN padded to 14 digits (the form AI (01) carries)."""
    return gtin.strip().zfill(14)


def gs1_date(text: str, *, today: date | None = None) -> date:
    """A YYMMDD date; DD = 00 is the last day of the month.

    The century follows GS1 §7.12 when ``today`` is given (within 49 years in the past and
    50 in the future of today's year); without it, 20YY.
    """
    if len(text) != 6 or not text.isdigit():
        raise GS1Error(f"date {text!r} must be six digits YYMMDD")
    yy, mm, dd = int(text[:2]), int(text[2:4]), int(text[4:])
    year = 2000 + yy
    if today is not None:
        century = today.year // 100 * 100
        diff = yy - today.year % 100
        if 51 <= diff <= 99:
            century -= 100
        elif -99 <= diff <= -50:
            century += 100
        year = century + yy
    if not 1 <= mm <= 12:
        raise GS1Error(f"date {text!r} has month {mm:02d}")
    last = calendar.monthrange(year, mm)[1]
    if dd == 0:
        dd = last
    if dd > last:
        raise GS1Error(f"date {text!r}: day {dd} is not in {year}-{mm:02d}")
    return date(year, mm, dd)


def _strip(text: str) -> str:
    text = text.strip().replace("<GS>", GS).replace("<gs>", GS)
    for prefix in SYMBOLOGY_PREFIXES:
        if text.startswith(prefix):
            return text[len(prefix) :]
    return text


def _ai_at(data: str, pos: int) -> str:
    for size in (2, 3, 4):
        candidate = data[pos : pos + size]
        if candidate in _FIXED or candidate in _VARIABLE:
            return candidate
    raise GS1Error(f"unknown or unsupported application identifier at {data[pos : pos + 4]!r}")


def _parse_raw(data: str) -> list[tuple[str, str]]:
    elements: list[tuple[str, str]] = []
    pos = 0
    data = data.lstrip(GS)
    while pos < len(data):
        if data[pos] == GS:
            pos += 1
            continue
        ai = _ai_at(data, pos)
        pos += len(ai)
        if ai in _FIXED:
            value = data[pos : pos + _FIXED[ai]]
            if len(value) != _FIXED[ai] or GS in value:
                raise GS1Error(f"({ai}) needs {_FIXED[ai]} characters")
            pos += _FIXED[ai]
        else:
            end = data.find(GS, pos)
            end = len(data) if end == -1 else end
            value = data[pos:end]
            if len(value) > _VARIABLE[ai]:
                raise GS1Error(
                    f"({ai}) is longer than {_VARIABLE[ai]} characters; "
                    "is a GS separator missing after it?"
                )
            pos = end
        elements.append((ai, value))
    return elements


def _parse_hri(text: str) -> list[tuple[str, str]]:
    parts = _HRI_AI.split(text)
    if parts[0].strip():
        raise GS1Error("text before the first (AI)")
    elements = []
    for ai, value in zip(parts[1::2], parts[2::2], strict=True):
        value = value.strip().rstrip(GS)
        if ai not in _FIXED and ai not in _VARIABLE:
            raise GS1Error(f"unknown or unsupported application identifier ({ai})")
        if ai in _FIXED and len(value) != _FIXED[ai]:
            raise GS1Error(f"({ai}) needs {_FIXED[ai]} characters, got {len(value)}")
        if ai in _VARIABLE and len(value) > _VARIABLE[ai]:
            raise GS1Error(f"({ai}) is longer than {_VARIABLE[ai]} characters")
        elements.append((ai, value))
    return elements


def parse_gs1(text: str, *, today: date | None = None) -> GS1Data:
    """Parse a scanned GS1 element string. Raises :class:`GS1Error` with a readable reason."""
    data = _strip(text)
    if not data:
        raise GS1Error("empty scan")
    elements = _parse_hri(data) if _HRI_AI.search(data) else _parse_raw(data)
    seen: dict[str, str] = {}
    for ai, value in elements:
        if ai in seen and seen[ai] != value:
            raise GS1Error(f"({ai}) appears twice with different values")
        if not value:
            raise GS1Error(f"({ai}) is empty")
        if ai in _FIXED and not value.isdigit():
            raise GS1Error(f"({ai}) must be digits only")
        if not _GS1_CHARSET.match(value):
            raise GS1Error(f"({ai}) contains characters outside the GS1 character set")
        seen[ai] = value
    gtin = seen.get("01")
    if gtin is not None and not is_valid_gtin(gtin):
        raise GS1Error(f"GTIN {gtin} has a wrong check digit")
    dates = {ai: gs1_date(seen[ai], today=today) for ai in _DATE_AIS if ai in seen}
    return GS1Data(
        gtin=gtin,
        lot=seen.get("10"),
        expiry=dates.get("17"),
        production_date=dates.get("11"),
        serial=seen.get("21"),
        elements=seen,
    )
