"""The OpenAPI document says exactly what the API sends: schemathesis checks it in CI.

Corrections to what ninja and pydantic generate: errors are declared with the
application/problem+json media type they are sent with (RFC 9457); every operation declares the
problems any operation can answer (401 without valid credentials, 403 for a role or CSRF
refusal, 422 for malformed input, 404 for an unknown id in the path, 409 for a POST whose
Idempotency-Key is in use); times of day (opening hours, working hours), which carry no UTC
offset, are RFC 3339 `partial-time`, not `time` (which requires an offset); every POST
documents its optional Idempotency-Key header.
"""

from __future__ import annotations

from typing import Any

from ninja import NinjaAPI

from mesocare.api.errors import TITLES

PROBLEM_REF = "#/components/schemas/Problem"
PROBLEM_MEDIA_TYPE = "application/problem+json"
IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "description": "Retry safely: the same key and request within 24 h get the first answer.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
}


class DocumentedAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(*args, **kwargs)
        for path, item in schema.get("paths", {}).items():
            for method, operation in item.items():
                if method == "post":
                    operation.setdefault("parameters", []).append(IDEMPOTENCY_KEY_PARAMETER)
                responses = operation.setdefault("responses", {})
                for status in always_possible(path, method):
                    responses.setdefault(str(status), problem_response(status))
                for response in responses.values():
                    declare_problem_media_type(response)
        times_without_offset(schema)
        return schema


def always_possible(path: str, method: str) -> list[int]:
    statuses = [401, 403, 422]
    if "{" in path:
        statuses.append(404)
    if method == "post":
        statuses.append(409)
    return statuses


def problem_response(status: int) -> dict[str, Any]:
    return {
        "description": TITLES.get(status, "Error"),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": PROBLEM_REF}}},
    }


def declare_problem_media_type(response: dict[str, Any]) -> None:
    content = response.get("content", {})
    json_body = content.get("application/json")
    if json_body and json_body.get("schema", {}).get("$ref") == PROBLEM_REF:
        content[PROBLEM_MEDIA_TYPE] = content.pop("application/json")


def times_without_offset(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("type") == "string" and node.get("format") == "time":
            node["format"] = "partial-time"
        for value in node.values():
            times_without_offset(value)
    elif isinstance(node, list):
        for value in node:
            times_without_offset(value)
