"""The NinjaAPI instance: auth, error mapping and the routers of every domain."""

from __future__ import annotations

from mesocare.api import (
    assessments,
    billing,
    billing_invoices,
    billing_payments,
    business_reports,
    catalog,
    charting,
    clinics,
    errors,
    inventory,
    notify,
    online_booking,
    outcomes,
    patients,
    plans,
    safety,
    scales,
    scheduling,
    scheduling_time_off,
)
from mesocare.api.auth import BearerTokenAuth, SessionActorAuth
from mesocare.api.idempotency import in_one_transaction, replay_or_reserve
from mesocare.api.inputs import JsonObjectParser, reject_unstorable_values
from mesocare.api.openapi import DocumentedAPI

api = DocumentedAPI(
    title="mesocare API",
    version="1",
    description=(
        "REST API of mesocare. Authenticate with the browser session or "
        "`Authorization: Bearer <token>` (`mesocare token create --user EMAIL`). "
        "Errors are RFC 9457 application/problem+json."
    ),
    auth=[BearerTokenAuth(), SessionActorAuth()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
    parser=JsonObjectParser(),
)
errors.install(api)
# Order matters: the last operation decorator added runs first (input checks before a key is
# claimed).
api.add_decorator(in_one_transaction, mode="view")
api.add_decorator(replay_or_reserve)
api.add_decorator(reject_unstorable_values)
api.add_router("", clinics.router)
api.add_router("", patients.router)
api.add_router("", safety.router)
api.add_router("", inventory.router)
api.add_router("", charting.router)
api.add_router("", catalog.router)
api.add_router("", scales.router)
api.add_router("", assessments.router)
api.add_router("", plans.router)
api.add_router("", scheduling.router)
api.add_router("", scheduling_time_off.router)
api.add_router("", notify.router)
api.add_router("", outcomes.router)
api.add_router("", billing.router)
api.add_router("", billing_invoices.router)
api.add_router("", billing_payments.router)
api.add_router("", online_booking.router)
api.add_router("", business_reports.router)
