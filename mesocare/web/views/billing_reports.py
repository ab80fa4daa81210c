"""Till → Revenue: net revenue of a period by service, practitioner, location and month, with a
chart and a CSV export. Net revenue is the invoices' line amounts (net of VAT) less the credit
notes' line amounts, each on its own issue date; a course sold as a package counts when sold.
Eight aggregate queries, whatever the number of invoices."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import F, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.billing.models import CreditNoteLine, InvoiceLine
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import Invalid
from mesocare.lib.csv_export import csv_text
from mesocare.web.forms.billing import ExportForm
from mesocare.web.views.base import staff_view

MAX_DAYS = 366
DIMENSIONS = {
    # dimension: (invoice line path, credit note line path)
    "service": ("description", "description"),
    "practitioner": (
        "invoice__source_session__practitioner__user__full_name",
        "credit_note__invoice__source_session__practitioner__user__full_name",
    ),
    "location": ("invoice__location__name", "credit_note__location__name"),
    "month": ("invoice__issue_date", "credit_note__issue_date"),
}


def revenue(actor: Actor, date_from: dt.date, date_to: dt.date) -> dict[str, list[dict[str, Any]]]:
    """{dimension: [{"key", "currency", "net"}]} for the period, largest first (months in order)."""
    actor.require(Perm.BILLING_VIEW)
    if date_to < date_from:
        raise Invalid.field("date_to", _("The end comes before the start."))
    if (date_to - date_from).days >= MAX_DAYS:
        raise Invalid.field("date_to", _("Choose at most one year."))
    lines = InvoiceLine.objects.filter(
        organization_id=actor.org_id,
        invoice__issue_date__gte=date_from,
        invoice__issue_date__lte=date_to,
    )
    credits = CreditNoteLine.objects.filter(
        organization_id=actor.org_id,
        credit_note__issue_date__gte=date_from,
        credit_note__issue_date__lte=date_to,
    )
    result: dict[str, list[dict[str, Any]]] = {}
    for dimension, (line_path, credit_path) in DIMENSIONS.items():
        totals: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for qs, path_, currency, sign in (
            (lines, line_path, "invoice__currency", 1),
            (credits, credit_path, "credit_note__currency", -1),
        ):
            rows = (
                qs.annotate(key=F(path_), cur=F(currency))
                .values("key", "cur")
                .annotate(net=Coalesce(Sum("net_amount"), Decimal(0)))
                .order_by()
            )
            for row in rows:
                key = row["key"]
                if dimension == "month" and key is not None:
                    key = key.strftime("%Y-%m")
                totals[(str(key or "—"), row["cur"])] += sign * Decimal(row["net"])
        entries: list[dict[str, Any]] = [
            {"key": key, "currency": cur, "net": net.quantize(Decimal("0.01"))}
            for (key, cur), net in totals.items()
        ]
        if dimension == "month":
            entries.sort(key=lambda e: e["key"])
        else:
            entries.sort(key=lambda e: (-e["net"], e["key"]))
        result[dimension] = entries
    return result


def _period(request: HttpRequest) -> tuple[ExportForm, dt.date, dt.date]:
    today = timezone.localdate()
    default = {"date_from": today.replace(day=1).isoformat(), "date_to": today.isoformat()}
    form = ExportForm(request.GET or default)
    if form.is_valid():
        return form, form.cleaned_data["date_from"], form.cleaned_data["date_to"]
    return form, today.replace(day=1), today


@staff_view(Perm.BILLING_VIEW)
def revenue_report(request: HttpRequest, actor: Actor) -> HttpResponse:
    form, date_from, date_to = _period(request)
    report: dict[str, list[dict[str, Any]]] = {}
    if not form.errors:
        try:
            report = revenue(actor, date_from, date_to)
        except Invalid as exc:
            for error in exc.errors:
                form.add_error(
                    error["field"] if error["field"] in form.fields else None, error["message"]
                )
    months = report.get("month", [])
    chart = {
        "labels": [m["key"] for m in months],
        "values": [float(m["net"]) for m in months],
        "series": _("Net revenue"),
    }
    return render(
        request,
        "web/billing/revenue.html",
        {
            "form": form,
            "report": report,
            "chart": chart,
            "sections": [
                ("service", _("By service")),
                ("practitioner", _("By practitioner")),
                ("location", _("By location")),
                ("month", _("By month")),
            ],
            "query": request.GET.urlencode(),
        },
        status=422 if form.errors else 200,
    )


@staff_view(Perm.BILLING_VIEW)
def revenue_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    form, date_from, date_to = _period(request)
    if form.errors:
        return HttpResponse(_("Choose the first and last day."), status=422)
    try:
        report = revenue(actor, date_from, date_to)
    except Invalid as exc:
        return HttpResponse(exc.message, status=422)
    rows = [
        (dimension, entry["key"], entry["currency"], entry["net"])
        for dimension, entries in report.items()
        for entry in entries
    ]
    record(
        actor,
        AuditAction.EXPORT,
        None,
        object_type="billing.revenue",
        summary=f"revenue {date_from.isoformat()}..{date_to.isoformat()}",
        channel="web",
    )
    response = HttpResponse(
        csv_text(("dimension", "key", "currency", "net_revenue"), rows),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="revenue-{date_from.isoformat()}-{date_to.isoformat()}.csv"'
    )
    return response


urlpatterns = [
    path("till/revenue", revenue_report, name="revenue"),
    path("till/revenue.csv", revenue_export, name="revenue-export"),
]
