"""One declaration per API operation says which permission it needs, enforces it and publishes
it in the OpenAPI document as ``x-permission``.

    @router.post("/alerts/{alert_id}/acknowledge", response=...)
    @requires(Perm.CLINICAL_EDIT)
    def acknowledge_alert(request, alert_id): ...

The check runs right after authentication and before the request's input is read, so a role
without the permission gets 403 whatever it sends, and an unauthenticated caller gets 401.
``docs/permissions.md`` lists every operation with its permission; a test compares that table
with the ``x-permission`` of every operation and calls each one as every role, so the code, the
OpenAPI document and the documentation cannot drift apart. Services still check their own
permissions (the staff UI and the CLI call them too); this gate is the one the API promises.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.http import HttpRequest, HttpResponse
from ninja.operation import Operation
from ninja.utils import contribute_operation_callback

from mesocare.audit.services import record_refused
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import MEMBER, Perm

F = TypeVar("F", bound=Callable[..., Any])
EXTENSION = "x-permission"


def requires(permission: Perm | str) -> Callable[[F], F]:
    """Gate the decorated operation on ``permission`` (a ``Perm``, or ``MEMBER``: any member of
    the organization). Put it below the router decorator."""
    value = permission.value if isinstance(permission, Perm) else permission
    if value != MEMBER:
        Perm(value)  # an unknown permission is a programming error, caught at import

    def decorate(view: F) -> F:
        contribute_operation_callback(view, lambda op: _gate(op, value))
        return view

    return decorate


def _gate(operation: Operation, permission: str) -> None:
    operation.openapi_extra = {**(operation.openapi_extra or {}), EXTENSION: permission}

    # ninja binds a copy of each operation to the API and re-applies an operation's "run
    # decorators" to every copy; this one hands over the copy, whose checks then include ours.
    def on_copy(run: Callable[..., Any]) -> Callable[..., Any]:
        copy: Operation = run.__self__  # type: ignore[attr-defined]
        _check_after_authentication(copy, permission)

        @wraps(run)
        def run_and_audit_refusal(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            response = run(request, *args, **kwargs)
            if response.status_code in (403, 404) and "patient_id" in kwargs:
                _audit_refusal(request, kwargs["patient_id"], response.status_code)
            return response

        return run_and_audit_refusal

    decorators = getattr(operation, "_run_decorators", [])
    operation._run_decorators = [*decorators, on_copy]  # type: ignore[attr-defined]
    operation.run = on_copy(operation.run)  # type: ignore[method-assign]


def _check_after_authentication(operation: Operation, permission: str) -> None:
    run_checks = operation._run_checks

    def checks(request: HttpRequest) -> HttpResponse | None:
        refused = run_checks(request)
        if refused is not None or permission == MEMBER:
            return refused
        actor = request.auth  # type: ignore[attr-defined]
        try:
            assert isinstance(actor, Actor)
            actor.require(Perm(permission))
        except Exception as exc:
            return operation.api.on_exception(request, exc)
        return None

    operation._run_checks = checks  # type: ignore[method-assign]


def _audit_refusal(request: HttpRequest, patient_id: Any, status: int) -> None:
    """A refused (403) or not-found (404) request for one patient's data is audited as
    REFUSED in the caller's organization: who tried to see whom, not a read."""
    actor = getattr(request, "auth", None)
    if not isinstance(actor, Actor):
        return
    record_refused(
        actor,
        object_type="patients.patient",
        object_id=patient_id,
        patient_id=patient_id,
        summary=f"{request.method} {request.path} refused ({status})",
        channel="api",
    )


def declared_permission(operation: Operation) -> str | None:
    return (operation.openapi_extra or {}).get(EXTENSION)
