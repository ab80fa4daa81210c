"""Domain errors raised by services; every front end (API, UI, CLI) maps them in one place."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule said no. `code` is machine-readable and stable; `message` is for people."""

    status = 400
    title = "Request cannot be processed"

    def __init__(
        self,
        code: str,
        message: str,
        *,
        errors: list[dict[str, str]] | None = None,
        **context: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.errors = errors or []
        self.context = context


class NotFound(DomainError):
    status = 404
    title = "Not found"


class Forbidden(DomainError):
    status = 403
    title = "Forbidden"


class Conflict(DomainError):
    status = 409
    title = "Conflict"


class Invalid(DomainError):
    """Input that is well-formed but breaks a rule; `errors` names the fields."""

    status = 422
    title = "Validation failed"

    @classmethod
    def field(cls, field: str, message: str, code: str = "invalid") -> Invalid:
        return cls(code, message, errors=[{"field": field, "message": message}])
