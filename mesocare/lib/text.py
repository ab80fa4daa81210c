"""Search normalisation: accent-, case- and punctuation-insensitive keys."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
_SPECIAL = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "ł": "l", "đ": "d", "ı": "i"})


def normalize_search(text: str) -> str:
    """'Zoë  Müller-Brandt' → 'zoe muller brandt'."""
    decomposed = unicodedata.normalize("NFKD", text.lower().translate(_SPECIAL))
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _NON_WORD.sub(" ", stripped).strip()


def digits_only(text: str) -> str:
    return "".join(c for c in text if c.isdigit())


def family_tail(normalized: str) -> str:
    """'de luca' → 'luca'; a one-word name has no tail."""
    _head, _sep, tail = normalized.partition(" ")
    return tail
