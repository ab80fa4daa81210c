"""FHIR errors: every refusal of the FHIR API is an OperationOutcome with the HTTP status."""

from __future__ import annotations

from typing import Any

FHIR_JSON = "application/fhir+json"

# http://hl7.org/fhir/R4/valueset-issue-type.html
_ISSUE_CODE = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    406: "not-supported",
    405: "not-supported",
    410: "deleted",
    500: "exception",
}


class FhirError(Exception):
    """A request the FHIR API refuses; rendered as an OperationOutcome with `status`."""

    def __init__(self, status: int, diagnostics: str, *, code: str | None = None) -> None:
        super().__init__(diagnostics)
        self.status = status
        self.diagnostics = diagnostics
        self.code = code or _ISSUE_CODE.get(status, "processing")


def bad_request(diagnostics: str) -> FhirError:
    return FhirError(400, diagnostics)


def operation_outcome(status: int, diagnostics: str, code: str | None = None) -> dict[str, Any]:
    return {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error" if status < 500 else "fatal",
                "code": code or _ISSUE_CODE.get(status, "processing"),
                "diagnostics": diagnostics,
            }
        ],
    }
