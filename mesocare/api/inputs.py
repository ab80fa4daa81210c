"""Malformed input stops at the API's edge, for every router at once.

Pydantic checks types, but a well-typed value can still be one the database or the clock cannot
hold: an integer beyond 64 bits, a date in year 9999 that overflows when shifted to UTC, a
string with a NUL byte (PostgreSQL refuses it). `reject_unstorable_values` runs after
validation on every operation's arguments and turns such values into a 422 naming the field;
`JsonObjectParser` makes a body that is not a JSON object (or not JSON) a 422 as well; `Patch`
is the base of partial-update schemas, where an explicit `null` is refused for fields that
cannot be empty.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Annotated, Any, ClassVar

from django.http import HttpRequest
from ninja import Schema
from ninja.errors import ValidationError
from ninja.parser import Parser
from pydantic import AfterValidator, BaseModel, ConfigDict, ValidationInfo, field_validator

INT_MIN = -(2**63)
INT_MAX = 2**63 - 1
# Wide enough for any birth date or appointment a clinic records, narrow enough that date
# arithmetic (courses, reminders, time-zone shifts) can never overflow.
DATE_MIN = dt.date(1900, 1, 1)
DATE_MAX = dt.date(2199, 12, 31)
# Larger than any dose, price or quantity, small enough for every numeric column.
DECIMAL_LIMIT = Decimal("1e12")


def _without_offset(value: dt.time) -> dt.time:
    if value.tzinfo is not None:
        raise ValueError("a local time of day, without a UTC offset (e.g. 09:30)")
    return value


# A time of day in the location's own zone: "09:30", never "09:30Z" or "09:30+01:00".
LocalTime = Annotated[dt.time, AfterValidator(_without_offset)]


class MalformedBody(ValueError):
    """The request body is not a JSON object."""


class JsonObjectParser(Parser):
    """Request bodies are JSON objects sent as application/json; anything else is refused."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        content_type = (request.content_type or "").lower()
        if content_type != "application/json" and not content_type.endswith("+json"):
            raise MalformedBody(f"Send the body as application/json, not {content_type!r}.")
        try:
            data = json.loads(request.body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise MalformedBody(f"The body is not valid JSON ({exc.__class__.__name__}).") from exc
        if not isinstance(data, dict):
            raise MalformedBody(f"The body must be a JSON object, not {_json_kind(data)}.")
        return data


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "an array"


def unstorable_reason(value: Any) -> str | None:
    """Why the database or the clock cannot hold this value, or None when it can."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        if not INT_MIN <= value <= INT_MAX:
            return f"Must be between {INT_MIN} and {INT_MAX}."
        return None
    if isinstance(value, dt.date):  # datetimes too
        day = value.date() if isinstance(value, dt.datetime) else value
        if not DATE_MIN <= day <= DATE_MAX:
            return f"Must be between {DATE_MIN.isoformat()} and {DATE_MAX.isoformat()}."
        return None
    if isinstance(value, Decimal):
        if not value.is_finite() or abs(value) >= DECIMAL_LIMIT:
            return "Must be a finite number smaller than 10^12."
        return None
    if isinstance(value, str) and "\x00" in value:
        return "Must not contain NUL characters."
    return None


def _walk(value: Any, path: tuple[str | int, ...]) -> Iterator[tuple[tuple[str | int, ...], str]]:
    if isinstance(value, BaseModel):
        for name, info in type(value).model_fields.items():
            yield from _walk(getattr(value, name, None), (*path, info.alias or name))
    elif isinstance(value, dict):
        for key, item in value.items():
            if isinstance(key, str) and "\x00" in key:
                yield (*path, key.replace("\x00", "")), "Must not contain NUL characters."
            yield from _walk(item, (*path, str(key)))
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            yield from _walk(item, (*path, index))
    else:
        reason = unstorable_reason(value)
        if reason:
            yield path, reason


def unstorable_errors(values: dict[str, Any]) -> list[dict[str, Any]]:
    """Errors in ninja's shape for every unstorable value among an operation's arguments.

    A schema argument (body, or query parameters grouped in a schema) names its fields without
    the argument's own name, as pydantic's errors for it do."""
    errors = []
    for name, value in values.items():
        prefix: tuple[str | int, ...] = () if isinstance(value, BaseModel) else (name,)
        for path, reason in _walk(value, prefix):
            errors.append({"loc": path or (name,), "msg": reason, "type": "value_error"})
    return errors


def reject_unstorable_values(view: Callable[..., Any]) -> Callable[..., Any]:
    """An operation decorator (applied after validation) for the whole API."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **values: Any) -> Any:
        errors = unstorable_errors(values)
        if errors:
            raise ValidationError(errors)
        return view(request, *args, **values)

    return checked


class Patch(Schema):
    """Base of partial updates: a field left out is unchanged; `null` clears only the fields
    listed in `nullable` and is a 422 for the rest (it would mean "empty" for a field that
    cannot be empty)."""

    nullable: ClassVar[frozenset[str]] = frozenset()

    @field_validator("*", mode="before")
    @classmethod
    def _refuse_null(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.field_name not in cls.nullable:
            raise ValueError("Cannot be null; leave the field out to keep its value.")
        return value

    @staticmethod
    def _document_null(schema: dict[str, Any], model: type[Any]) -> None:
        _without_null(schema, getattr(model, "nullable", frozenset()))

    model_config = ConfigDict(json_schema_extra=_document_null)


def _without_null(schema: dict[str, Any], nullable: frozenset[str]) -> None:
    for name, prop in schema.get("properties", {}).items():
        options = prop.get("anyOf")
        if name in nullable or not options:
            continue
        kept = [o for o in options if o.get("type") != "null"]
        if len(kept) == 1:
            prop.pop("anyOf")
            prop.update(kept[0])
        else:
            prop["anyOf"] = kept
