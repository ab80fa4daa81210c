"""Staff pages for outcomes: a patient's measurements and photos, before/after comparison,
plan progress chart, the outcomes report (with CSV) and the business report."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages as flash
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.catalog.models import Protocol
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import DomainError, Invalid
from mesocare.lib.csv_export import write_csv
from mesocare.outcomes import progress, reports, services
from mesocare.outcomes.choices import Landmark, MeasurementKind, ViewAngle
from mesocare.outcomes.imaging import MAX_BYTES
from mesocare.outcomes.models import Photo
from mesocare.web.labels import zone_name, zone_names
from mesocare.web.patient_page import open_patient_page
from mesocare.web.views.base import apply_domain_errors, staff_view


class MeasurementForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=MeasurementKind.choices)
    landmark = forms.ChoiceField(
        label=gettext_lazy("Landmark"), choices=[("", "—"), *Landmark.choices], required=False
    )
    distance_cm = forms.DecimalField(
        label=gettext_lazy("Distance from reference (cm)"),
        required=False,
        max_digits=5,
        decimal_places=1,
    )
    value = forms.DecimalField(label=gettext_lazy("Value"), max_digits=7, decimal_places=2)
    measured_on = forms.DateField(
        label=gettext_lazy("Measured on"), widget=forms.DateInput(attrs={"type": "date"})
    )


class PhotoForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Photo (JPEG or PNG, up to 15 MB)"),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/heic"}),
    )
    body_zone = forms.ChoiceField(label=gettext_lazy("Body zone"), choices=())
    view = forms.ChoiceField(label=gettext_lazy("View"), choices=ViewAngle.choices)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        zone: Any = self.fields["body_zone"]
        # Nothing clinical is preselected: the zone starts empty and must be chosen.
        zone.choices = [("", "—"), *sorted(zone_names().items(), key=lambda item: item[1])]
        view: Any = self.fields["view"]
        view.choices = [("", "—"), *ViewAngle.choices]

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise forms.ValidationError(_("The photo is larger than 15 MB."))
        return upload


@staff_view(Perm.CLINICAL_VIEW)
def patient_outcomes(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "outcomes")
    measurement_form = MeasurementForm(initial={"measured_on": timezone.localdate()})
    photo_form = PhotoForm()
    if request.method == "POST":
        try:
            if "measurement" in request.POST:
                measurement_form = MeasurementForm(request.POST)
                if measurement_form.is_valid():
                    cd = measurement_form.cleaned_data
                    services.add_measurement(
                        actor,
                        patient,
                        kind=cd["kind"],
                        value=cd["value"],
                        measured_on=cd["measured_on"],
                        landmark=cd["landmark"],
                        distance_cm=cd["distance_cm"],
                    )
                    flash.success(request, _("Measurement recorded."))
                    return redirect("web:patient-outcomes", patient_id=patient.pk)
            else:
                photo_form = PhotoForm(request.POST, request.FILES)
                if photo_form.is_valid():
                    cd = photo_form.cleaned_data
                    services.upload_photo(
                        actor,
                        patient,
                        cd["file"].read(),
                        body_zone=cd["body_zone"],
                        view=cd["view"],
                        channel="web",
                    )
                    flash.success(request, _("Photo stored."))
                    return redirect("web:patient-outcomes", patient_id=patient.pk)
        except Invalid as exc:
            apply_domain_errors(
                measurement_form if "measurement" in request.POST else photo_form, exc
            )
        except DomainError as exc:
            flash.error(request, exc.message)
    photos = list(services.list_photos(actor, patient))
    names = zone_names()
    groups: dict[tuple[str, str], list[Photo]] = {}
    for photo in photos:
        photo.zone_label = zone_name(photo.body_zone, names)  # type: ignore[attr-defined]
        groups.setdefault((photo.zone_label, photo.get_view_display()), []).append(photo)  # type: ignore[attr-defined]
    context.update(
        {
            "measurements": list(services.list_measurements(actor, patient)[:100]),
            "photos": photos,
            "comparable": [(k, v) for k, v in groups.items() if len(v) >= 2],
            "measurement_form": measurement_form,
            "photo_form": photo_form,
            "plans": list(patient.plans.for_org(actor.org_id).order_by("-created_at")[:10]),
        }
    )
    return render(request, "web/outcomes/patient.html", context)


@staff_view(Perm.CLINICAL_VIEW)
def photo_file(request: HttpRequest, actor: Actor, photo_id: int) -> HttpResponse:
    thumbnail = request.GET.get("thumbnail") == "1"
    photo, handle = services.open_photo(actor, photo_id, thumbnail=thumbnail, channel="web")
    with handle:  # at most 15 MB: read whole, close at once
        body = handle.read()
    response = HttpResponse(body, content_type="image/jpeg" if thumbnail else photo.content_type)
    response["Cache-Control"] = "private, no-store"
    return response


@staff_view(Perm.CLINICAL_VIEW)
def photo_compare(request: HttpRequest, actor: Actor, patient_id: int) -> HttpResponse:
    patient, context = open_patient_page(actor, patient_id, "outcomes")
    photos = services.list_photos(actor, patient)
    before = photos.filter(pk=request.GET.get("before") or 0).first()
    after = photos.filter(pk=request.GET.get("after") or 0).first()
    if before is None or after is None:
        flash.error(request, _("Choose two photos of this patient."))
        return redirect("web:patient-outcomes", patient_id=patient.pk)
    if (before.body_zone, before.view) != (after.body_zone, after.view):
        flash.error(request, _("Only photos of the same zone and view can be compared."))
        return redirect("web:patient-outcomes", patient_id=patient.pk)
    if before.taken_at > after.taken_at:
        before, after = after, before
    same = list(photos.filter(body_zone=before.body_zone, view=before.view))
    context["zone_label"] = zone_name(before.body_zone)
    context.update({"before": before, "after": after, "same": same})
    return render(request, "web/outcomes/compare.html", context)


@staff_view(Perm.CLINICAL_VIEW)
def plan_progress(request: HttpRequest, actor: Actor, plan_id: int) -> HttpResponse:
    data = progress.plan_progress(actor, plan_id, channel="web")
    chart = {
        "scales": [
            {
                "label": s["scale_id"],
                "points": [
                    {"x": p["at"].isoformat(), "y": float(p["total"]), "s": p["session_index"]}
                    for p in s["points"]
                ],
            }
            for s in data["scales"]
        ],
        "measurements": [
            {
                "label": f"{m['key']} ({m['unit']})",
                "points": [
                    {"x": p["measured_on"].isoformat(), "y": float(p["value"])} for p in m["points"]
                ],
            }
            for m in data["measurements"]
        ],
        "response_check": next(
            (s["signed_at"].isoformat() for s in data["sessions"] if s["response_check"]), None
        ),
        "sessions": [s["signed_at"].isoformat() for s in data["sessions"]],
    }
    return render(request, "web/outcomes/progress.html", {"progress": data, "chart": chart})


def _date(value: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


@staff_view(Perm.CLINICAL_VIEW)
def outcomes_report(request: HttpRequest, actor: Actor) -> HttpResponse:
    protocol = request.GET.get("protocol", "")
    date_from, date_to = _date(request.GET.get("from")), _date(request.GET.get("to"))
    rows = reports.outcomes_report(
        actor,
        protocol_id=int(protocol) if protocol.isdigit() else None,
        date_from=date_from,
        date_to=date_to,
    )
    if request.GET.get("format") == "csv":
        record(actor, AuditAction.EXPORT, object_type="outcomes.report", summary="outcomes CSV")
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="outcomes.csv"'
        write_csv(response, reports.CSV_COLUMNS, reports.csv_rows(rows))
        return response
    protocols = Protocol.objects.filter(is_active=True).order_by("name")
    chart = [
        {
            "label": r.protocol,
            "change": r.mean_change,
            "low": r.change_ci_low,
            "high": r.change_ci_high,
        }
        for r in rows
        if r.mean_change is not None
    ]
    context = {
        "rows": rows,
        "protocols": protocols,
        "protocol": protocol,
        "date_from": date_from,
        "date_to": date_to,
        "chart": chart,
        "query": request.GET.urlencode(),
    }
    return render(request, "web/outcomes/report.html", context)


@staff_view(Perm.ORG_VIEW)
def business_report(request: HttpRequest, actor: Actor) -> HttpResponse:
    today = timezone.localdate()
    date_from = _date(request.GET.get("from")) or today - dt.timedelta(days=30)
    date_to = _date(request.GET.get("to")) or today
    data = reports.business_report(actor, date_from=date_from, date_to=date_to)
    for room in data["rooms"]:
        room["percent"] = (
            round(Decimal(room["utilisation"]) * 100, 1)
            if room["utilisation"] is not None
            else None
        )
    return render(request, "web/outcomes/business.html", {"report": data})


urlpatterns = [
    path("patients/<int:patient_id>/outcomes", patient_outcomes, name="patient-outcomes"),
    path("patients/<int:patient_id>/photos/compare", photo_compare, name="photo-compare"),
    path("photos/<int:photo_id>/file", photo_file, name="photo-file"),
    path("plans/<int:plan_id>/progress", plan_progress, name="plan-progress"),
    path("reports/outcomes", outcomes_report, name="outcomes-report"),
    path("reports/business", business_report, name="business-report"),
]
