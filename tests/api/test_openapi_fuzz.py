"""Schemathesis over the whole OpenAPI document, as each role of the demo clinic.

Every operation gets generated requests (valid ones and deliberately invalid ones) with the
role's bearer token; half the time a path id is a real row of the demo clinic, so requests
reach the services and not only the 404 path. Each response must not be a server error and
must match what the document declares: status code, content type and body schema.

Bounded in time: `FUZZ_EXAMPLES` examples per operation and generation mode, no shrinking, and
a fixed seed, so a run is repeatable. Each role gets a freshly loaded demo clinic (inside the
test's transaction), so destructive operations of one role cannot change another's run.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from hypothesis import HealthCheck, Phase, given, seed
from hypothesis import settings as fuzz_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from mesocare.accounts.models import ApiToken
from mesocare.api.root import api as ninja_api
from mesocare.clinics.models import Membership
from mesocare.demo.data import DOMAIN, load_demo

pytestmark = pytest.mark.django_db

FUZZ_EXAMPLES = int(os.environ.get("MESOCARE_FUZZ_EXAMPLES", "5"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
ROLE_LOGINS = {
    "admin": "admin",
    "practitioner": "practitioner",
    "reception": "desk",
    "auditor": "audit",
}
# Path parameters that name a row of the demo clinic.
ROW_MODELS = {
    "patient_id": "patients.Patient",
    "appointment_id": "scheduling.Appointment",
    "assessment_id": "assessments.Assessment",
    "plan_id": "plans.TreatmentPlan",
    "session_id": "charting.TreatmentSession",
    "lot_id": "inventory.ProductLot",
    "location_id": "clinics.Location",
    "room_id": "clinics.Room",
    "membership_id": "clinics.Membership",
    "consent_id": "patients.Consent",
    "photo_id": "outcomes.Photo",
    "message_id": "notify.OutboxMessage",
    "invoice_id": "billing.Invoice",
    "item_id": "billing.PriceItem",
    "offer_id": "billing.PackageOffer",
    "package_id": "billing.PatientPackage",
}

SCHEMA = schemathesis.openapi.from_dict(ninja_api.get_openapi_schema())
OPERATIONS = [result.ok() for result in SCHEMA.get_all_operations()]


def _row_ids(org_id: int) -> dict[str, list[int]]:
    ids = {}
    for param, label in ROW_MODELS.items():
        model = apps.get_model(label)
        rows = model.objects.all()
        if any(f.name == "organization" for f in model._meta.fields):
            rows = rows.filter(organization_id=org_id)
        ids[param] = list(rows.order_by("pk").values_list("pk", flat=True)[:40])
    return ids


def _fuzz(
    operation: Any, mode: Any, headers: dict[str, str], ids: dict[str, list[int]], app: Any
) -> str | None:
    """The first failure for this operation, or None."""

    @seed(20261206)
    @fuzz_settings(
        max_examples=FUZZ_EXAMPLES,
        deadline=None,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(generation_mode=mode), data=st.data())
    def run(case: Any, data: Any) -> None:
        for name in case.path_parameters or {}:
            if ids.get(name) and data.draw(st.booleans()):
                case.path_parameters[name] = data.draw(st.sampled_from(ids[name]))
        # A savepoint per request, as autocommit gives each request in production: a failed
        # statement must not poison the requests after it.
        with transaction.atomic():
            response = case.call(app=app, headers=headers)
            if response.status_code >= 500:
                transaction.set_rollback(True)
        case.validate_response(response, checks=CHECKS)

    try:
        run()
    except KeyboardInterrupt:
        raise
    except BaseException as exc:  # noqa: BLE001 - schemathesis raises exception groups
        return f"{operation.method.upper()} {operation.path} [{mode.value}]: {exc}"[:1200]
    return None


@pytest.fixture
def wsgi_app() -> Any:
    """Django's WSGI handler, called in-process like Django's test client: without closing the
    database connection at the end of each request (it holds the test's transaction)."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.parametrize("role", list(ROLE_LOGINS))
def test_every_operation_answers_as_documented_and_never_500(
    role: str, settings: Any, tmp_path: Any, wsgi_app: Any
) -> None:
    settings.VAR_DIR = tmp_path
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.NOTIFY_JOURNAL_PATH = str(tmp_path / "outbox-journal.jsonl")
    result = load_demo()
    membership = Membership.objects.get(
        organization=result.organization, user__email=f"{ROLE_LOGINS[role]}@{DOMAIN}"
    )
    _token, raw = ApiToken.issue(membership)
    headers = {"Authorization": f"Bearer {raw}"}
    ids = _row_ids(result.organization.pk)
    failures = [
        failure
        for operation in OPERATIONS
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE)
        if (failure := _fuzz(operation, mode, headers, ids, wsgi_app))
    ]
    assert not failures, "\n\n".join(failures)
