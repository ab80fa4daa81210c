"""Building a resource's JSON in PostgreSQL (the bulk export's in-database path).

Each function returns a fragment of SQL whose value is JSON **text** (or NULL, meaning "leave
the key out"); a resource is ``resource(type, id, body)``. The text is concatenated, not built
with ``json_build_object`` (which looks up the type of every argument on every row and costs
several times more): compact, keys in the order given, strings escaped by ``to_json`` exactly as
orjson escapes them — so the text is byte for byte what the Python mapper's dict serializes to,
and ``meta.versionId`` (a digest of those bytes) is the same whichever path built the resource.

What keeps the two equal (the Python mappers are the reference; tests compare every resource):

- a member whose value is NULL is left out (`obj`), as ``compact`` drops ``None``; a string
  that the mapper omits when empty goes through `text`; an array or object that may be empty
  is built under `when`, so it is NULL instead; arrays never hold a NULL element (`some`);
- SQL values become JSON with `string` (text, escaped), `raw` (integers, booleans), `number`
  (decimals, ``trim_scale``: ``0.10`` → ``0.1``, ``2.000`` → ``2``, as ``common.number``
  makes an integral decimal an integer), `instant` (``datetime.isoformat()`` of a UTC datetime:
  microseconds only when not zero, ``+00:00``), `day`; constants with `const`;
- lookups built in Python once per export (display labels, user → membership) are JSON
  objects indexed in SQL (`lookup`).

`sql_text` is a SQL string literal for use inside expressions (``IN (...)``, ``||``).
Fragments are used inside a Django ``RawSQL`` whose query has parameters, so a literal ``%`` is
written ``%%``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson


class Json(str):
    """A fragment whose value is never NULL (constants, objects, arrays). ``parts`` are the
    pieces it concatenates (`Text` for constant text), so that an enclosing object or array
    merges adjacent constants into one literal instead of concatenating them on every row."""

    parts: tuple[str, ...]

    def __new__(cls, sql: str, parts: tuple[str, ...] | None = None) -> Json:
        fragment = super().__new__(cls, sql)
        fragment.parts = parts if parts is not None else (sql,)
        return fragment


class Text(str):
    """Constant text inside `Json.parts` (unquoted)."""


def chain(*pieces: str) -> Json:
    """The concatenation of never-NULL pieces, adjacent constants merged."""
    merged: list[str] = []
    for piece in pieces:
        for item in piece.parts if isinstance(piece, Json) else (piece,):
            if isinstance(item, Text) and merged and isinstance(merged[-1], Text):
                merged[-1] = Text(merged[-1] + item)
            else:
                merged.append(item)
    sql = [sql_text(item) if isinstance(item, Text) else item for item in merged]
    return Json(sql[0] if len(sql) == 1 else "(" + " || ".join(sql) + ")", tuple(merged))


def sql_text(value: str) -> str:
    """A SQL string literal (standard-conforming strings; ``%`` doubled for the driver)."""
    return "'" + value.replace("'", "''").replace("%", "%%") + "'"


def const(value: Any) -> Json:
    """A JSON constant (a string, number, boolean)."""
    return chain(Text(orjson.dumps(value).decode()))


def col(table: str, name: str) -> str:
    return f'"{table}"."{name}"'


def string(value: str) -> str:
    """A SQL text value as a JSON string (NULL stays NULL)."""
    return f"to_json(({value})::text)::text"


def raw(value: str) -> str:
    """A SQL value whose text is already JSON (integers, booleans)."""
    return f"({value})::text"


def number(value: str) -> str:
    """A decimal as the mapper writes it (also usable inside text: ``'… ' || number(x)``)."""
    return f"trim_scale({value})::text"


def text(value: str) -> str:
    """A string that the mapper omits when empty."""
    return string(f"NULLIF({value}, '')")


def instant(value: str) -> str:
    """``datetime.isoformat()`` of a ``timestamptz`` in UTC, as a JSON string."""
    utc = f"({value} AT TIME ZONE 'UTC')"
    return (
        f"('\"' || CASE WHEN date_trunc('second', {value}) = {value} "
        f"""THEN to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS') """
        f"""ELSE to_char({utc}, 'YYYY-MM-DD"T"HH24:MI:SS.US') END || '+00:00\"')"""
    )


def day(value: str) -> str:
    return f"""('"' || to_char({value}, 'YYYY-MM-DD') || '"')"""


def obj(pairs: Mapping[str, str]) -> Json:
    """A JSON object; keys in the order given, members whose value is NULL left out."""
    items = list(pairs.items())
    if not items:
        return Json("'{}'")
    key0, value0 = items[0]
    if isinstance(value0, Json):
        parts: list[str] = [Text("{" + orjson.dumps(key0).decode() + ":"), value0]
        for key, value in items[1:]:
            member = "," + orjson.dumps(key).decode() + ":"
            if isinstance(value, Json):
                parts += [Text(member), value]
            else:
                parts.append(f"COALESCE({sql_text(member)} || {value}, '')")
        return chain(*parts, Text("}"))
    members = [
        f"COALESCE({sql_text(orjson.dumps(key).decode() + ':')} || {value} || ',', '')"
        for key, value in items
    ]
    return Json("('{' || left(" + " || ".join(members) + ", -1) || '}')")


def arr(*items: str) -> Json:
    """A JSON array of fragments that are never NULL."""
    parts: list[str] = [Text("[")]
    for n, item in enumerate(items):
        parts += [Text(","), item] if n else [item]
    return chain(*parts, Text("]"))


def agg(value: str, order_by: str) -> str:
    """A JSON array of ``value`` over the rows of a subquery (NULL when there are none)."""
    return f"('[' || string_agg({value}, ',' ORDER BY {order_by}) || ']')"


def when(condition: str, value: str) -> str:
    """``value`` when ``condition`` holds, else NULL (so the key is left out)."""
    return f"CASE WHEN {condition} THEN {value} END"


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


def ref(type_name: str, fhir_id: str) -> str:
    """``{"reference": "<Type>/<id>"}`` (NULL when the id is NULL); ids need no escaping."""
    return f"""('{{"reference":"{type_name}/' || {fhir_id} || '"}}')"""


def lookup(table: Mapping[Any, Any], key: str) -> str:
    """``table[key]`` as SQL text, for a table built in Python (NULL when the key is absent)."""
    as_json = orjson.dumps({str(k): v for k, v in table.items()}).decode()
    return f"({sql_text(as_json)}::jsonb ->> ({key})::text)"


def lookup_json(table: Mapping[Any, Any], key: str) -> str:
    """``table[key]`` serialized as the mapper's serializer writes it, as SQL text (NULL when the
    key is absent): JSON built once per export instead of once per row."""
    return lookup({k: orjson.dumps(v).decode() for k, v in table.items()}, key)


def inner(value: str) -> str:
    """The text of a JSON string without its quotes (to splice into a longer string)."""
    return orjson.dumps(value).decode()[1:-1]


def label(labels: Mapping[Any, str], code: str) -> str:
    """`MappingContext.label` as SQL text: the display label of a code (else the code)."""
    return f"COALESCE({lookup(labels, code)}, ({code})::text, '')"


def practitioner(memberships: Mapping[int, int], user_id: str) -> str:
    """`common.practitioner_ref`: the Practitioner of a user of this organization, or NULL."""
    return ref("Practitioner", lookup(memberships, user_id))


def resource(type_name: str, fhir_id: str, body: Mapping[str, str]) -> str:
    """The text of a whole resource (without ``meta``, which the export appends); ``fhir_id``
    is SQL text."""
    return obj(
        {"resourceType": const(type_name), "id": chain(Text('"'), fhir_id, Text('"')), **body}
    )
