"""Every API error is RFC 9457 application/problem+json; this is the one place that maps them."""

from __future__ import annotations

import logging
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError

from mesocare.api.inputs import MalformedBody
from mesocare.errors import DomainError

PROBLEM = "application/problem+json"
TYPE_BASE = "https://mesocare.org/problems/"
_LOCATIONS = {"body", "query", "path", "form", "file", "header", "cookie", "payload"}
log = logging.getLogger(__name__)

TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    413: "Payload too large",
    422: "Validation failed",
    429: "Too many requests",
    500: "Internal server error",
}


def problem(
    status: int,
    detail: str,
    *,
    code: str | None = None,
    title: str | None = None,
    errors: list[dict[str, str]] | None = None,
    **extra: Any,
) -> JsonResponse:
    body: dict[str, Any] = {
        "type": TYPE_BASE + (code or str(status)),
        "title": title or TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if code:
        body["code"] = code
    if errors is not None:
        body["errors"] = errors
    body.update(extra)
    return JsonResponse(body, status=status, content_type=PROBLEM)


def _field_name(loc: list[Any]) -> str:
    """`body.payload.given_name` -> `given_name`; an error about the whole body -> `body`."""
    parts = [str(p) for p in loc]
    location = parts[0] if parts and parts[0] in _LOCATIONS else ""
    while parts and parts[0] in _LOCATIONS:
        parts.pop(0)
    return ".".join(parts) or location


def validation_errors(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    out = []
    for err in errors:
        message = str(err.get("msg", "Invalid value"))
        message = message.removeprefix("Value error, ")
        out.append({"field": _field_name(list(err.get("loc", []))), "message": message})
    return out


def install(api: NinjaAPI) -> None:
    @api.exception_handler(DomainError)
    def domain_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
        errors = exc.errors or ([] if exc.status != 422 else None)
        response = problem(
            exc.status, exc.message, code=exc.code, title=exc.title, errors=errors, **exc.context
        )
        if exc.status == 401:  # a 401 names the scheme that would work (RFC 9110)
            response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(ValidationError)
    def invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = validation_errors(exc.errors)
        detail = "; ".join(f"{e['field'] or 'body'}: {e['message']}" for e in errors)
        return problem(422, detail or "Invalid request.", code="validation", errors=errors)

    @api.exception_handler(AuthenticationError)
    def unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        response = problem(
            401,
            "Sign in, or send 'Authorization: Bearer <token>'.",
            code="unauthenticated",
        )
        response["WWW-Authenticate"] = "Bearer"
        return response

    @api.exception_handler(HttpError)
    def http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        if isinstance(exc.__cause__, MalformedBody):
            # ninja wraps every body-parsing failure in a 400; it is a validation error
            message = str(exc.__cause__)
            errors = [{"field": "body", "message": message}]
            return problem(422, f"body: {message}", code="validation", errors=errors)
        return problem(exc.status_code, str(exc.message))

    @api.exception_handler(Http404)
    def not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(404, "Not found.", code="not_found")

    @api.exception_handler(Exception)
    def unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
        log.exception("unhandled API error", exc_info=exc)
        return problem(500, "Something went wrong on our side; it has been logged.")


def api_not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return problem(404, f"No API endpoint at /api/v1/{rest}.", code="not_found")
