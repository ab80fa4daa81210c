"""Reports → attendance, packages, product cost, lapsed patients and utilisation: a page with a
chart and a CSV export each (issue 16). The numbers come from `mesocare.reports`; this module
only reads the filter, draws and exports."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.core.business import month_of
from mesocare.errors import Conflict, Invalid
from mesocare.lib.csv_export import csv_text
from mesocare.reports import attendance, lapsed, packages, product_cost, utilisation
from mesocare.reports.common import Filters
from mesocare.web.forms.reports import ReportForm
from mesocare.web.templatetags.report_format import month_label
from mesocare.web.views.base import staff_view

Compute = Callable[[Actor, Filters], Any]


class Report:
    """One report: how to compute it, which filters it takes, how to export it."""

    def __init__(
        self,
        name: str,
        compute: Compute,
        header: Sequence[str],
        rows: Callable[[Any], list[Any]],
        chart: Callable[[Any], dict[str, Any]],
        *,
        sections: Sequence[tuple[str, Any]] = (),
        practitioner: bool = True,
        location: bool = True,
        default_days: int = 30,
        ahead_days: int = 0,
    ) -> None:
        self.name, self.compute, self.header, self.rows = name, compute, header, rows
        self.chart, self.sections = chart, sections
        self.template = f"web/reports/{name.replace('-', '_')}.html"
        self.form_options = {
            "practitioner": practitioner,
            "location": location,
            "default_days": default_days,
            "ahead_days": ahead_days,
        }

    def run(self, request: HttpRequest, actor: Actor) -> tuple[ReportForm, Any]:
        form = ReportForm(actor, request.GET, **self.form_options)  # type: ignore[arg-type]
        filters = form.filters()
        if filters is None:
            return form, None
        try:
            return form, self.compute(actor, filters)
        except Invalid as exc:
            for error in exc.errors:
                field = error["field"] if error["field"] in form.fields else None
                form.add_error(field, error["message"])
            return form, None

    def page(self, request: HttpRequest, actor: Actor) -> HttpResponse:
        form, report = self.run(request, actor)
        return render(
            request,
            self.template,
            {
                "sections": self.sections,
                "form": form,
                "report": report,
                "chart": self.chart(report) if report is not None else None,
                "query": request.GET.urlencode(),
                "csv_url": f"web:report-{self.name}-export",
            },
            status=422 if form.errors else 200,
        )

    def export(self, request: HttpRequest, actor: Actor) -> HttpResponse:
        form, report = self.run(request, actor)
        if report is None:
            errors = [str(e) for errs in form.errors.values() for e in errs]
            return HttpResponse(" ".join(errors), status=422, content_type="text/plain")
        cd = form.cleaned_data
        record(
            actor,
            AuditAction.EXPORT,
            None,
            object_type=f"reports.{self.name}",
            summary=f"{self.name} {cd['date_from'].isoformat()}..{cd['date_to'].isoformat()}",
            channel="web",
        )
        response = HttpResponse(
            csv_text(self.header, self.rows(report)), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = (
            f'attachment; filename="{self.name}-{cd["date_from"].isoformat()}-'
            f'{cd["date_to"].isoformat()}.csv"'
        )
        return response


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _attendance_chart(report: dict[str, list[attendance.AttendanceRow]]) -> dict[str, Any]:
    rows = report["practitioner"]
    return {
        "labels": [r.key for r in rows],
        "percent": True,
        "datasets": [
            {"label": _("No-show rate"), "data": [_pct(r.no_show_rate) for r in rows]},
            {
                "label": _("Late-cancellation rate"),
                "data": [_pct(r.late_cancel_rate) for r in rows],
            },
        ],
    }


def _packages_chart(report: dict[str, list[packages.PackageRow]]) -> dict[str, Any]:
    rows = report["offer"]
    return {
        "labels": [r.key for r in rows],
        "datasets": [
            {"label": _("Sold"), "data": [r.sold for r in rows]},
            {"label": _("Sessions used"), "data": [r.consumed for r in rows]},
            {"label": _("Sessions outstanding"), "data": [r.outstanding_sessions for r in rows]},
        ],
    }


def _cost_chart(report: dict[str, list[product_cost.CostRow]]) -> dict[str, Any]:
    rows = report["protocol"]
    return {
        "labels": [r.key for r in rows],
        "datasets": [
            {
                "label": _("Product cost per session"),
                "data": [float(r.per_session or 0) for r in rows],
            }
        ],
    }


def _lapsed_chart(rows: list[lapsed.LapsedRow]) -> dict[str, Any]:
    months = Counter(month_of(r.due_on) for r in rows)
    keys = sorted(months)
    return {
        "labels": [month_label(k) for k in keys],
        "datasets": [
            {"label": _("Lapsed patients by due month"), "data": [months[k] for k in keys]}
        ],
    }


def _utilisation_chart(report: dict[str, Any]) -> dict[str, Any]:
    weeks = report["weeks"]
    datasets = []
    for kind, label in (("practitioner", _("Practitioners")), ("room", _("Rooms"))):
        values = [
            _pct(booked / available if available else None)
            for booked, available in (report["totals"][kind][w] for w in weeks)
        ]
        if any(v is not None for v in values):
            datasets.append({"label": label, "data": values})
    return {
        "labels": [formats.date_format(w, "SHORT_DATE_FORMAT") for w in weeks],
        "percent": True,
        "datasets": datasets,
    }


def _lapsed(actor: Actor, filters: Filters) -> list[lapsed.LapsedRow]:
    return lapsed.lapsed_patients(actor, filters, channel="web")


REPORTS = {
    "attendance": Report(
        "attendance",
        attendance.attendance,
        attendance.CSV_HEADER,
        attendance.csv_rows,
        _attendance_chart,
        sections=(
            ("practitioner", gettext_lazy("By practitioner")),
            ("location", gettext_lazy("By location")),
            ("month", gettext_lazy("By month")),
        ),
    ),
    "packages": Report(
        "packages",
        packages.package_report,
        packages.CSV_HEADER,
        packages.csv_rows,
        _packages_chart,
        practitioner=False,
    ),
    "product-cost": Report(
        "product-cost",
        product_cost.product_cost,
        product_cost.CSV_HEADER,
        product_cost.csv_rows,
        _cost_chart,
        sections=(
            ("protocol", gettext_lazy("By protocol")),
            ("practitioner", gettext_lazy("By practitioner")),
            ("product", gettext_lazy("By product")),
            ("month", gettext_lazy("By month")),
        ),
    ),
    "lapsed": Report(
        "lapsed",
        _lapsed,
        ("plan_id", "patient", "protocol", "completed_on", "due_on", "days_overdue", "recalled"),
        lambda rows: [
            (
                r.plan_id,
                r.patient,
                r.protocol,
                r.completed_on.isoformat() if r.completed_on else "",
                r.due_on.isoformat(),
                r.days_overdue,
                "yes" if r.recalled_at else "",
            )
            for r in rows
        ],
        _lapsed_chart,
        practitioner=False,
        location=False,
        default_days=365,
    ),
    "utilisation": Report(
        "utilisation",
        utilisation.utilisation,
        utilisation.CSV_HEADER,
        utilisation.csv_rows,
        _utilisation_chart,
        default_days=14,
        ahead_days=13,
    ),
}


@staff_view(Perm.BILLING_VIEW)
def report_page(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    return REPORTS[name].page(request, actor)


@staff_view(Perm.BILLING_VIEW)
def export(request: HttpRequest, actor: Actor, name: str) -> HttpResponse:
    return REPORTS[name].export(request, actor)


@require_POST
@staff_view(Perm.SCHEDULE_EDIT)
def recall_page(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    try:
        _message, queued = lapsed.recall(actor, plan_id, channel="web")
    except Conflict as exc:
        flash.error(request, exc.message)
    else:
        if queued:
            flash.success(request, _("Recall queued: the patient will receive it shortly."))
        else:
            flash.info(request, _("This patient was already recalled; nothing was sent again."))
    query = request.POST.get("query", "")
    return redirect(reverse("web:report-lapsed") + (f"?{query}" if query else ""))


urlpatterns = [
    *(path(f"reports/{n}", report_page, {"name": n}, name=f"report-{n}") for n in REPORTS),
    *(path(f"reports/{n}.csv", export, {"name": n}, name=f"report-{n}-export") for n in REPORTS),
    path("reports/lapsed/<int:plan_id>/recall", recall_page, name="report-lapsed-recall"),
]
