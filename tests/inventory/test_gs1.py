"""GS1 element strings as scanners and people produce them.

Examples: GS1 General Specifications and the GS1 DataMatrix Guideline use GTIN
09501101530003 (check digit 3) with (17) and (10); the healthcare examples of the GS1
Healthcare GTIN Allocation Rules carry (01)(17)(10)(21) in that order.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesocare.inventory.gs1 import (
    GS,
    GS1Error,
    gs1_date,
    gtin14,
    gtin_check_digit,
    is_valid_gtin,
    parse_gs1,
)

REAL_EXAMPLES = [
    # GS1 DataMatrix Guideline, figure "(01)(17)(10)": human-readable interpretation.
    ("(01)09501101530003(17)140704(10)AB-123", "09501101530003", "AB-123", dt.date(2014, 7, 4)),
    # The same symbol as a scanner sends it: ]d2 prefix, fixed AIs first, lot last.
    ("]d201095011015300031714070410AB-123", "09501101530003", "AB-123", dt.date(2014, 7, 4)),
    # Lot before expiry: the variable-length lot ends at the FNC1 (GS) separator.
    (f"]d2010950110153000310AB-123{GS}17140704", "09501101530003", "AB-123", dt.date(2014, 7, 4)),
    # GS1-128 (]C1) with serial (21) after the lot; DD = 00 → last day of the month.
    (
        f"]C10100345312000004111205081715020010ABCD1234{GS}21S12345",
        "00345312000004",
        "ABCD1234",
        dt.date(2015, 2, 28),
    ),
    # EU FMD pack (GS1 Healthcare): (01)(21)(10)(17), keyboard wedge showing GS as <GS>.
    (
        "010415012345678221A1B2C3D4E5<GS>10LOT42X<GS>17261231",
        "04150123456782",
        "LOT42X",
        dt.date(2026, 12, 31),
    ),
]


@pytest.mark.parametrize(("scan", "gtin", "lot", "expiry"), REAL_EXAMPLES)
def test_real_example_strings_give_gtin_lot_and_expiry(
    scan: str, gtin: str, lot: str, expiry: dt.date
) -> None:
    data = parse_gs1(scan)
    assert (data.gtin, data.lot, data.expiry) == (gtin, lot, expiry)


def test_production_date_and_serial_are_tolerated_and_read() -> None:
    data = parse_gs1("(01)00345312000004(11)120508(17)150200(10)ABCD1234(21)S12345")
    assert data.production_date == dt.date(2012, 5, 8)
    assert data.serial == "S12345"
    assert data.expiry == dt.date(2015, 2, 28)


@pytest.mark.parametrize(
    ("body", "digit"),
    [("0950110153000", 3), ("0034531200000", 4), ("0415012345678", 2), ("400638133393", 1)],
)
def test_gtin_check_digit(body: str, digit: int) -> None:
    assert gtin_check_digit(body) == digit
    assert is_valid_gtin(body + str(digit))


@pytest.mark.parametrize(
    ("scan", "message"),
    [
        ("(01)09501101530004(10)X", "check digit"),
        ("(01)0950110153000(10)X", "14 characters"),
        ("(17)141301(10)X", "month 13"),
        ("(17)150230(10)X", "day 30"),
        ("(99)X", "unknown"),
        ("(10)" + "A" * 21, "longer than 20"),
        ("0109501101530003" + "10" + "A" * 21, "GS separator"),
        ("", "empty"),
        ("(10)AB\u00e9", "character set"),
        ("(10)A(10)B", "twice"),
        ("junk(01)09501101530003", "before the first"),
    ],
)
def test_bad_scans_are_refused_with_a_reason(scan: str, message: str) -> None:
    with pytest.raises(GS1Error, match=message):
        parse_gs1(scan)


def test_century_follows_the_gs1_sliding_window() -> None:
    today = dt.date(2026, 6, 1)
    assert gs1_date("991231", today=today) == dt.date(1999, 12, 31)
    assert gs1_date("751231", today=today) == dt.date(2075, 12, 31)
    assert gs1_date("770101", today=today) == dt.date(1977, 1, 1)
    assert gs1_date("240200", today=today) == dt.date(2024, 2, 29)


def test_short_gtins_pad_to_fourteen_digits() -> None:
    assert gtin14("4006381333931") == "04006381333931"


lots = st.text(
    alphabet=st.sampled_from("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-./_"), min_size=1, max_size=20
)
dates = st.dates(min_value=dt.date(2000, 1, 1), max_value=dt.date(2049, 12, 31))
bodies = st.text(alphabet="0123456789", min_size=13, max_size=13)


@given(body=bodies, lot=lots, expiry=dates, lot_first=st.booleans())
def test_raw_and_human_readable_forms_round_trip(
    body: str, lot: str, expiry: dt.date, lot_first: bool
) -> None:
    gtin = body + str(gtin_check_digit(body))
    yymmdd = expiry.strftime("%y%m%d")
    hri = f"(01){gtin}(10){lot}(17){yymmdd}" if lot_first else f"(01){gtin}(17){yymmdd}(10){lot}"
    raw = f"]d201{gtin}10{lot}{GS}17{yymmdd}" if lot_first else f"01{gtin}17{yymmdd}10{lot}"
    for scan in (hri, raw):
        data = parse_gs1(scan)
        assert (data.gtin, data.lot, data.expiry) == (gtin, lot, expiry)
