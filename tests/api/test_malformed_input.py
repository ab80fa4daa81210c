"""Malformed input never reaches the database: for every operation in the OpenAPI document, each
malformed variant (integers beyond 64 bits, dates beyond the supported range, `null` in a partial
update, bodies that are not JSON objects) is a 422 problem+json naming the field, never a 500."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

import pytest

from mesocare.api.root import api as ninja_api

pytestmark = pytest.mark.django_db

HUGE = 2**64
BAD_DATES = {"date": ["10000-01-01", "0000-01-01", "9999-12-31"]}
BAD_DATETIMES = ["9999-12-31T23:59:59-05:00", "0001-01-01T00:00:00+01:00", "10000-01-01T00:00Z"]
NOT_OBJECTS = ["[]", '[{"a": 1}]', '"text"', "12", "null", "true", "{not json"]

DOC = ninja_api.get_openapi_schema()
COMPONENTS = DOC["components"]["schemas"]


@dataclass
class Case:
    method: str
    path: str
    variant: str
    field: str
    path_values: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)
    body: Any = None
    raw: str | None = None
    content_type: str = "application/json"
    good: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.method.upper()} {self.path} {self.variant} {self.field}"


def _resolve(schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = COMPONENTS[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _kinds(schema: dict[str, Any]) -> set[str]:
    """'integer', 'date', 'date-time' and 'null' among the types a property accepts."""
    schema = _resolve(schema)
    kinds: set[str] = set()
    for option in schema.get("anyOf", [schema]):
        option = _resolve(option)
        kind = option.get("type")
        if kind == "string" and option.get("format") in ("date", "date-time"):
            kinds.add(option["format"])
        elif kind in ("integer", "null"):
            kinds.add(kind)
    return kinds


def _bad_values(kinds: set[str]) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    if "integer" in kinds:
        out += [("huge-int", HUGE), ("huge-negative-int", -HUGE)]
    if "date" in kinds:
        out += [("bad-date", d) for d in BAD_DATES["date"]]
    if "date-time" in kinds:
        out += [("bad-datetime", d) for d in BAD_DATETIMES]
    return out


def _filler(schema: dict[str, Any]) -> Any:
    """A plausible value for a required property, so the malformed one is the only fault."""
    schema = _resolve(schema)
    if "anyOf" in schema:
        return _filler(schema["anyOf"][0])
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema:
        return schema["default"]
    kind = schema.get("type")
    if kind == "object":
        return {
            name: _filler(prop)
            for name, prop in schema.get("properties", {}).items()
            if name in schema.get("required", [])
        }
    if kind == "array":
        return [_filler(schema["items"])] * schema.get("minItems", 0)
    formats = {"date": "2026-01-05", "date-time": "2026-01-05T10:00:00+01:00", "email": "a@b.test"}
    if kind == "string":
        return formats.get(schema.get("format", ""), "x" * max(1, schema.get("minLength", 1)))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    return True if kind == "boolean" else None


def _json_body(operation: dict[str, Any]) -> dict[str, Any] | None:
    content = operation.get("requestBody", {}).get("content", {})
    if "application/json" not in content:
        return None
    return _resolve(content["application/json"]["schema"])


def _required_query(params: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        p["name"]: _filler(p["schema"]) for p in params if p["in"] == "query" and p.get("required")
    }


def _cases(method: str, path: str, operation: dict[str, Any]) -> list[Case]:
    params = operation.get("parameters", [])
    ok_path = {
        p["name"]: (1 if "integer" in _kinds(p["schema"]) else "x")
        for p in params
        if p["in"] == "path"
    }
    body = _json_body(operation)
    valid = _filler(body) if body is not None else None
    base = {"method": method, "path": path}
    good = {"path_values": ok_path, "query": _required_query(params), "body": valid}
    cases = []
    for p in params:
        for variant, value in _bad_values(_kinds(p["schema"])):
            if p["in"] == "path":
                bad = {**good, "path_values": {**ok_path, p["name"]: value}}
            else:
                bad = {**good, "query": {**good["query"], p["name"]: value}}
            cases.append(Case(**base, **bad, variant=variant, field=p["name"], good=good))
    if body is None:
        return cases
    for raw in NOT_OBJECTS:
        cases.append(Case(**base, **good, variant=f"body={raw}", field="body", raw=raw))
    cases.append(
        Case(
            **base, **good, variant="text/plain", field="body", raw="a=b", content_type="text/plain"
        )
    )
    for name, prop in body.get("properties", {}).items():
        bad_values = _bad_values(_kinds(prop))
        if method == "patch" and "null" not in _kinds(prop):
            bad_values.append(("null", None))
        for variant, value in bad_values:
            bad = {**good, "body": {**valid, name: value}}
            cases.append(Case(**base, **bad, variant=variant, field=name, good=good))
    return cases


OPERATIONS = {
    f"{method.upper()} {path}": _cases(method, path, operation)
    for path, item in DOC["paths"].items()
    for method, operation in item.items()
}
OPERATIONS = {op: cases for op, cases in OPERATIONS.items() if cases}


def _send(client: Any, case: Case) -> Any:
    url = case.path.format(**case.path_values)
    kwargs: dict[str, Any] = dict(client.headers)
    if case.raw is not None:
        kwargs.update(data=case.raw, content_type=case.content_type)
    elif case.method in ("post", "put", "patch"):
        kwargs.update(data=json.dumps(case.body or {}), content_type="application/json")
    if case.query:
        url += "?" + urlencode(case.query)
    return getattr(client.client, case.method)(url, **kwargs)


def test_the_sweep_covers_every_kind_of_malformed_input() -> None:
    variants = {c.variant.split("=")[0] for cases in OPERATIONS.values() for c in cases}
    assert {"huge-int", "bad-date", "bad-datetime", "null", "body", "text/plain"} <= variants
    assert len(OPERATIONS) >= 60


@pytest.mark.parametrize("operation", OPERATIONS)
def test_malformed_input_is_422_naming_the_field(clinic: Any, operation: str) -> None:
    client = clinic.api("admin")
    failures = []
    for case in OPERATIONS[operation]:
        response = _send(client, case)
        if response.status_code != 422 or response["Content-Type"] != "application/problem+json":
            failures.append((case.id, response.status_code, response.content[:200]))
            continue
        named = {e["field"].split(".")[0] for e in response.json()["errors"]}
        if case.field in named:
            continue
        # Unstorable values are checked once the rest of the request is well-formed; when our
        # stand-in for the rest is itself refused by the schema, the value was never looked at.
        if (
            case.raw is not None
            or _send(client, replace(case, **case.good)).json().get("code") != "validation"
        ):
            failures.append((case.id, "field not named", response.json()["errors"]))
    assert not failures, failures
