"""The business reports over the API: no-shows and late cancellations, packages, product cost
per session, lapsed patients (and their recall), utilisation. Same numbers as the staff pages
(`mesocare.reports`); the period is a span of local days of at most a year."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.business_reports_schemas import (
    AttendanceOut,
    BusinessReportQuery,
    LapsedOut,
    PackagesOut,
    ProductCostOut,
    RecallOut,
    UtilisationOut,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.clinics.permissions import Perm
from mesocare.reports import attendance, lapsed, packages, product_cost, utilisation
from mesocare.reports.common import Filters

router = Router(tags=["reports"])


def _filters(params: BusinessReportQuery) -> Filters:
    return Filters(params.date_from, params.date_to, params.location, params.practitioner)


def _period(params: BusinessReportQuery) -> dict[str, Any]:
    return {"date_from": params.date_from, "date_to": params.date_to}


@router.get(
    "/reports/attendance",
    response={200: AttendanceOut, **PROBLEM_RESPONSES},
    summary="No-show and late-cancellation rates and forfeited deposits",
)
@requires(Perm.BILLING_VIEW)
def attendance_report(request: HttpRequest, params: Query[BusinessReportQuery]) -> dict[str, Any]:
    report = attendance.attendance(actor_of(request), _filters(params))
    return {
        **_period(params),
        **{
            dimension: [
                {
                    **row.as_dict(),
                    "forfeited_deposits": row.forfeited_count,
                    "forfeited": [
                        {"currency": cur, "amount": amount}
                        for cur, amount in sorted(row.forfeited.items())
                    ],
                }
                for row in rows
            ]
            for dimension, rows in report.items()
        },
    }


@router.get(
    "/reports/packages",
    response={200: PackagesOut, **PROBLEM_RESPONSES},
    summary="Packages sold, used and outstanding (deferred revenue) per offer and month",
)
@requires(Perm.BILLING_VIEW)
def packages_report(request: HttpRequest, params: Query[BusinessReportQuery]) -> dict[str, Any]:
    report = packages.package_report(actor_of(request), _filters(params))
    return {
        **_period(params),
        "offer": [{**r.as_dict(), "deferred_revenue": r.deferred} for r in report["offer"]],
        "month": [
            {**r.as_dict(), "outstanding_sessions": None, "deferred_revenue": None}
            for r in report["month"]
        ],
    }


@router.get(
    "/reports/product-cost",
    response={200: ProductCostOut, **PROBLEM_RESPONSES},
    summary="Product cost per signed session, from the lots' unit costs",
)
@requires(Perm.BILLING_VIEW)
def product_cost_report(request: HttpRequest, params: Query[BusinessReportQuery]) -> dict[str, Any]:
    report = product_cost.product_cost(actor_of(request), _filters(params))
    return {
        **_period(params),
        **{
            dimension: [{**r.as_dict(), "cost_per_session": r.per_session} for r in rows]
            for dimension, rows in report.items()
        },
    }


@router.get(
    "/reports/lapsed",
    response={200: list[LapsedOut], **PROBLEM_RESPONSES},
    summary="Lapsed patients: maintenance due in the period, nothing booked (audited read)",
)
@requires(Perm.BILLING_VIEW)
def lapsed_report(request: HttpRequest, params: Query[BusinessReportQuery]) -> list[dict[str, Any]]:
    rows = lapsed.lapsed_patients(actor_of(request), _filters(params), channel="api")
    return [{**vars(r), "maintenance_due_on": r.due_on} for r in rows]


@router.post(
    "/reports/lapsed/{plan_id}/recall",
    response={200: RecallOut, **PROBLEM_RESPONSES},
    summary="Queue the maintenance recall of a lapsed plan (once per due date)",
)
@requires(Perm.SCHEDULE_EDIT)
def recall_lapsed(request: HttpRequest, plan_id: int) -> dict[str, Any]:
    message, queued = lapsed.recall(actor_of(request), plan_id, channel="api")
    return {"message_id": message.pk, "queued": queued, "due_at": message.due_at}


@router.get(
    "/reports/utilisation",
    response={200: UtilisationOut, **PROBLEM_RESPONSES},
    summary="Booked against available hours of practitioners and rooms, per week",
)
@requires(Perm.BILLING_VIEW)
def utilisation_report(request: HttpRequest, params: Query[BusinessReportQuery]) -> dict[str, Any]:
    report = utilisation.utilisation(actor_of(request), _filters(params))

    def usage(u: utilisation.Usage) -> dict[str, Any]:
        return {
            "kind": u.kind,
            "name": u.name,
            "location": u.location,
            "booked_minutes": u.booked_minutes,
            "available_minutes": u.available_minutes,
            "utilisation": u.rate,
            "weeks": [
                {
                    "week": w,
                    "booked_minutes": u.booked.get(w, 0),
                    "available_minutes": u.available.get(w, 0),
                }
                for w in report["weeks"]
            ],
        }

    return {
        **_period(params),
        "weeks": report["weeks"],
        "practitioners": [usage(u) for u in report["practitioners"]],
        "rooms": [usage(u) for u in report["rooms"]],
    }
