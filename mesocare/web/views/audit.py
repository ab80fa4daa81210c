"""The audit log (admin, auditor): filter, page through, export as CSV; and the patient's
audit tab."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mesocare.audit.choices import AuditAction
from mesocare.audit.log_span import within_partitions
from mesocare.audit.models import AuditEvent
from mesocare.audit.patient_log import PatientAuditLog
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.lib.csv_export import write_csv
from mesocare.patients.models import Patient
from mesocare.web.audit_changes import rendered_rows
from mesocare.web.forms.audit import AuditFilterForm
from mesocare.web.pagination import paginate, paginate_capped, query_without_page
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.base import staff_view

EXPORT_LIMIT = 100_000
CSV_COLUMNS = (
    "at",
    "actor_label",
    "action",
    "object_type",
    "object_id",
    "patient_id",
    "summary",
    "channel",
    "ip",
    "reason",
    "changes",
)


def _patient_names(actor: Actor, events: Any) -> dict[int, str]:
    ids = {e.patient_id for e in events if e.patient_id}
    if not ids:
        return {}
    return {
        p.pk: p.full_name
        for p in Patient.objects.for_org(actor.org_id)
        .filter(pk__in=ids)
        .only("id", "given_name", "family_name")
    }


@staff_view(Perm.AUDIT_VIEW)
def audit_log(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = AuditFilterForm(request.GET or None, org_id=actor.org_id)
    qs = within_partitions(form.filter(AuditEvent.objects.for_org(actor.org_id)), actor.org_id)
    page = paginate_capped(request, qs, 50)
    events = list(page.object_list)
    rows = rendered_rows(events, actor.org_id, _patient_names(actor, events))
    return render(
        request,
        "web/audit/log.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "page_query": query_without_page(request),
        },
    )


@staff_view(Perm.AUDIT_VIEW)
def audit_export(request: HttpRequest, actor: Actor) -> HttpResponse:
    """The filtered rows as CSV (newest first). The export itself is audited."""
    form = AuditFilterForm(request.GET or None, org_id=actor.org_id)
    qs = within_partitions(form.filter(AuditEvent.objects.for_org(actor.org_id)), actor.org_id)
    qs = qs[:EXPORT_LIMIT]
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    count = write_csv(
        response,
        CSV_COLUMNS,
        (
            [event.at.isoformat(), *(getattr(event, c) for c in CSV_COLUMNS[1:-1]), event.changes]
            for event in qs.iterator(chunk_size=2000)
        ),
    )
    record(
        actor,
        AuditAction.EXPORT,
        object_type="audit.auditevent",
        summary=f"audit log CSV, {count} rows ({form.summary()})"[:255],
        channel="web",
    )
    return response


@staff_view(Perm.AUDIT_VIEW)
def patient_audit(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "audit")
    page = paginate(request, PatientAuditLog(actor.org_id, patient.pk), 50)
    context.update(page=page, rows=rendered_rows(list(page.object_list), actor.org_id))
    return render(request, "web/patients/audit.html", context)
