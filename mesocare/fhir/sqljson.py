"""Building a resource's JSON in PostgreSQL (the bulk export's in-database path).

Each function returns a fragment of SQL text. A resource is ``resource(type, id, body)``:
``json_strip_nulls(json_build_object(...))::text``, which PostgreSQL prints compact
(``{"a":1,"b":[2]}``), keys in the order given, strings escaped as orjson escapes them — so the
text is byte for byte what the Python mapper's dict serializes to, and ``meta.versionId`` (a
digest of those bytes) is the same whichever path built the resource.

What keeps the two equal (the Python mappers are the reference; tests compare every resource):

- a key whose value is NULL is dropped (``json_strip_nulls``), as ``compact`` drops ``None``;
  a value that may be an empty string goes through `text` (``NULLIF(x, '')``); an array or
  object that may be empty is built under `when` so that it is NULL instead — PostgreSQL keeps
  ``{}`` and ``[]``, and it keeps NULLs inside arrays, so arrays never hold a NULL element;
- times are `instant` (``datetime.isoformat()`` of a UTC datetime: microseconds only when not
  zero, ``+00:00``), dates `day`;
- decimals are `number` (``trim_scale``: ``0.10`` → ``0.1``, ``2.000`` → ``2``, as
  ``common.number`` makes an integral decimal an integer);
- constants are SQL literals (`lit`), and lookups built in Python once per export (display
  labels, user → membership) are JSON objects indexed in SQL (`lookup`).

Fragments are used inside a Django ``RawSQL`` whose query has parameters, so a literal ``%``
is written ``%%``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson


def lit(value: str) -> str:
    """A SQL string literal (standard-conforming strings; ``%`` doubled for the driver)."""
    return "'" + value.replace("'", "''").replace("%", "%%") + "'"


def col(table: str, name: str) -> str:
    return f'"{table}"."{name}"'


def obj(pairs: Mapping[str, str]) -> str:
    """A JSON object; keys in the order given (each value a SQL fragment)."""
    return "json_build_object(" + ", ".join(f"{lit(k)}, {v}" for k, v in pairs.items()) + ")"


def arr(*items: str) -> str:
    return "json_build_array(" + ", ".join(items) + ")"


def when(condition: str, value: str) -> str:
    """``value`` when ``condition`` holds, else NULL (so the key is dropped)."""
    return f"CASE WHEN {condition} THEN {value} END"


def text(value: str) -> str:
    """A string that the mapper omits when empty."""
    return f"NULLIF({value}, '')"


def instant(value: str) -> str:
    """``datetime.isoformat()`` of a ``timestamptz`` in UTC (NULL stays NULL)."""
    utc = f"({value} AT TIME ZONE 'UTC')"
    return (
        f"CASE WHEN date_trunc('second', {value}) = {value} "
        f"""THEN to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS"+00:00"') """
        f"""ELSE to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"') END"""
    )


def day(value: str) -> str:
    return f"to_char({value}, 'YYYY-MM-DD')"


def number(value: str) -> str:
    return f"trim_scale({value})"


def ref(type_name: str, fhir_id: str) -> str:
    """``{"reference": "<Type>/<id>"}`` (NULL when the id is NULL)."""
    return when(
        f"{fhir_id} IS NOT NULL", obj({"reference": f"{lit(type_name + '/')} || {fhir_id}"})
    )


def lookup(table: Mapping[Any, Any], key: str) -> str:
    """``table[key]`` as text, for a table built in Python (NULL when the key is absent)."""
    as_json = orjson.dumps({str(k): v for k, v in table.items()}).decode()
    return f"({lit(as_json)}::jsonb ->> ({key})::text)"


def label(labels: Mapping[Any, str], code: str) -> str:
    """`MappingContext.label`: the display label of a code (the code itself if it has none)."""
    return f"COALESCE({lookup(labels, code)}, ({code})::text, '')"


def some(*items: tuple[str, str]) -> str:
    """A JSON array of the ``(condition, value)`` items whose condition holds, in order; NULL
    when none does (the mapper's list built with ``if``s, then dropped when empty)."""
    if len(items) > 4:
        raise ValueError("some() enumerates the combinations: at most 4 items")
    cases = []
    for mask in range((1 << len(items)) - 1, 0, -1):
        chosen = [item for n, item in enumerate(items) if mask >> n & 1]
        others = [item for n, item in enumerate(items) if not mask >> n & 1]
        conditions = [f"({c})" for c, _v in chosen] + [f"NOT ({c})" for c, _v in others]
        cases.append(f"WHEN {' AND '.join(conditions)} THEN {arr(*(v for _c, v in chosen))}")
    return "CASE " + " ".join(cases) + " END"


def practitioner(memberships: Mapping[int, int], user_id: str) -> str:
    """`common.practitioner_ref`: the Practitioner of a user of this organization, or NULL."""
    return ref("Practitioner", lookup(memberships, user_id))


def resource(type_name: str, fhir_id: str, body: Mapping[str, str]) -> str:
    """The text of a whole resource (without ``meta``, which the export appends)."""
    pairs = {"resourceType": lit(type_name), "id": fhir_id, **body}
    return f"json_strip_nulls({obj(pairs)})::text"
