"""SMS length: GSM-7 vs UCS-2 and the number of segments (3GPP TS 23.038 / 23.040)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mesocare.notify.sms import (
    GSM7_BASIC,
    GSM7_EXTENSION,
    is_gsm7,
    keyword_of,
    sms_length,
)


def test_the_default_alphabet_has_128_characters_and_the_extension_table_ten() -> None:
    assert len(GSM7_BASIC) == 128
    assert len(GSM7_EXTENSION) == 10
    assert not GSM7_BASIC & GSM7_EXTENSION


@pytest.mark.parametrize(
    ("text", "encoding", "units", "segments"),
    [
        ("", "GSM-7", 0, 0),
        ("a" * 160, "GSM-7", 160, 1),
        ("a" * 161, "GSM-7", 161, 2),
        ("a" * 306, "GSM-7", 306, 2),
        ("a" * 307, "GSM-7", 307, 3),
        ("€" * 80, "GSM-7", 160, 1),  # extension characters cost two septets
        ("€" * 81, "GSM-7", 162, 2),
        ("a" * 152 + "€", "GSM-7", 154, 1),
        # 152 + an escape pair does not fit the 153 of part one: the pair moves to part two.
        ("a" * 152 + "€" + "a" * 10, "GSM-7", 164, 2),
        ("è ù ì ò à é Ç", "GSM-7", 13, 1),  # Italian accents are in the default alphabet
        ("á", "UCS-2", 1, 1),  # … but not á
        ("ó" * 70, "UCS-2", 70, 1),
        ("ó" * 71, "UCS-2", 71, 2),
        ("ó" * 134, "UCS-2", 134, 2),
        ("ó" * 135, "UCS-2", 135, 3),
        ("😀" * 35, "UCS-2", 70, 1),  # a surrogate pair is two UTF-16 units
        ("ó" * 66 + "😀" + "ó", "UCS-2", 69, 1),
        ("ó" * 66 + "😀" + "ó" * 4, "UCS-2", 72, 2),
        ("ó" * 66 + "😀" + "ó" * 67, "UCS-2", 135, 3),  # the pair is not split at 67
    ],
)
def test_worked_examples(text: str, encoding: str, units: int, segments: int) -> None:
    length = sms_length(text)
    assert (length.encoding, length.units, length.segments) == (encoding, units, segments)


def test_a_real_reminder_in_italian_fits_one_segment() -> None:
    text = "Promemoria: appuntamento lunedì 14 dicembre alle 09:30. Per disdire chiama la clinica."
    assert sms_length(text).segments == 1


gsm_text = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION - {"\x1b"}), max_size=700)


@given(gsm_text)
def test_gsm_text_stays_gsm_and_counts_septets(text: str) -> None:
    length = sms_length(text)
    assert length.encoding == "GSM-7"
    assert length.units == len(text) + sum(ch in GSM7_EXTENSION for ch in text)
    if length.units <= 160:
        assert length.segments == (1 if text else 0)
    else:
        # Never fewer parts than the septets need, and at most one more per escape pair.
        assert length.segments >= -(-length.units // 153)
        assert length.segments <= -(-length.units // 152)


@given(st.text(max_size=400), st.characters(blacklist_categories=("Cs",)))
def test_one_non_gsm_character_makes_the_whole_text_ucs2(text: str, extra: str) -> None:
    combined = text + extra
    length = sms_length(combined)
    assert length.encoding == ("GSM-7" if is_gsm7(combined) else "UCS-2")
    if length.encoding == "UCS-2":
        assert length.units == len(combined.encode("utf-16-le")) // 2
        assert length.per_segment in (70, 67)


@given(st.text(max_size=600))
def test_more_text_never_needs_fewer_segments(text: str) -> None:
    for cut in range(0, len(text), max(1, len(text) // 7 or 1)):
        shorter = sms_length(text[:cut])
        longer = sms_length(text)
        if shorter.encoding == longer.encoding:
            assert shorter.segments <= longer.segments
    assert sms_length(text).remaining >= 0


@pytest.mark.parametrize(
    ("body", "keyword"),
    [
        ("STOP", "stop"),
        (" stop please", "stop"),
        ("Stop.", "stop"),
        ("BASTA", "stop"),
        ("unsubscribe", "stop"),
        ("START", "start"),
        ("sì", "start"),
        ("Please stop", None),
        ("", None),
        ("thanks!", None),
    ],
)
def test_keywords(body: str, keyword: str | None) -> None:
    assert keyword_of(body) == keyword
