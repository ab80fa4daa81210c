"""The switching import page (admins): upload a CSV file from another system, map its columns,
preview it, try a dry run, then import. The work is done by `mesocare.imports.services`."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import DomainError
from mesocare.imports.choices import FileEncoding, ImportKind, UploadStatus
from mesocare.imports.csvfile import max_bytes, too_large_message
from mesocare.imports.models import ImportUpload
from mesocare.imports.services import (
    PREVIEW_ROWS,
    ImportReport,
    create_upload,
    run_upload,
    upload_table,
)
from mesocare.imports.specs import fields_for, guess_mapping
from mesocare.web.views.base import actor_zone, apply_domain_errors, staff_view

RECENT_UPLOADS = 20


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("The file holds"), choices=ImportKind.choices)
    source = forms.CharField(
        label=gettext_lazy("System it comes from"),
        max_length=64,
        help_text=gettext_lazy(
            "Use the same name for every file of that system: rows are recognised by it and "
            "their id, so importing a file again changes nothing."
        ),
    )
    file = forms.FileField(label=gettext_lazy("CSV file"))
    encoding = forms.ChoiceField(
        label=gettext_lazy("Encoding"), choices=FileEncoding.choices, initial=FileEncoding.AUTO
    )

    def clean_file(self) -> Any:
        file = self.cleaned_data["file"]
        if file.size > max_bytes():
            raise forms.ValidationError(too_large_message(file.size))
        return file


class MappingForm(forms.Form):
    """One choice per field of the import: which column of the file holds it."""

    def __init__(self, kind: str, headers: list[str], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        columns = [("", _("— not in the file —"))] + [(h, h) for h in headers]
        for spec in fields_for(kind):
            self.fields[spec.name] = forms.ChoiceField(
                label=str(spec.label),
                choices=columns,
                required=spec.required,
                help_text=str(spec.help),
            )


@staff_view(Perm.ORG_MANAGE)
def import_index(request: HttpRequest, actor: Actor) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            upload = create_upload(
                actor,
                kind=data["kind"],
                source=data["source"],
                filename=data["file"].name,
                content=data["file"].read(),
                encoding=data["encoding"],
            )
        except DomainError as exc:
            apply_domain_errors(form, exc)
        else:
            return redirect("web:import-detail", upload_id=upload.pk)
    zone = actor_zone(actor)
    uploads = [
        (upload, upload.uploaded_at.astimezone(zone))
        for upload in ImportUpload.objects.for_org(actor.org_id)
        .select_related("uploaded_by")
        .defer("content")[:RECENT_UPLOADS]
    ]
    return render(
        request,
        "web/imports/index.html",
        {"form": form, "uploads": uploads},
        status=422 if form.errors else 200,
    )


@staff_view(Perm.ORG_MANAGE)
def import_detail(request: HttpRequest, actor: Actor, upload_id: int) -> HttpResponse:
    upload = get_for_org(ImportUpload, actor.org_id, upload_id)
    report = ImportReport.from_json(upload.report) if upload.report else None
    if upload.status == UploadStatus.IMPORTED:
        return render(
            request,
            "web/imports/detail.html",
            {"upload": upload, "report": report, "kind_label": upload.get_kind_display()},
        )
    try:
        table = upload_table(upload)
    except DomainError as exc:  # the reading rules changed since the upload
        messages.error(request, exc.message)
        return redirect("web:imports")
    initial = upload.mapping or guess_mapping(upload.kind, table.headers)
    form = MappingForm(upload.kind, table.headers, request.POST or None, initial=initial)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            mapping = {k: v for k, v in form.cleaned_data.items() if v}
            dry_run = request.POST.get("action") != "import"
            try:
                report = run_upload(actor, upload, mapping, dry_run=dry_run)
            except DomainError as exc:
                apply_domain_errors(form, exc)
                status = 422
            else:
                if not dry_run:
                    counts = report.counts
                    messages.success(
                        request,
                        _(
                            "Imported: %(created)d created, %(matched)d linked to patients on "
                            "file, %(unchanged)d already imported, %(skipped)d skipped."
                        )
                        % counts,
                    )
                return redirect("web:import-detail", upload_id=upload.pk)
        else:
            status = 422
    columns = [
        (spec, table.headers.index(form[spec.name].value()))
        for spec in fields_for(upload.kind)
        if form[spec.name].value() in table.headers
    ]
    preview = [[row[index] for _spec, index in columns] for row in table.rows[:PREVIEW_ROWS]]
    return render(
        request,
        "web/imports/detail.html",
        {
            "upload": upload,
            "form": form,
            "report": report,
            "kind_label": upload.get_kind_display(),
            "preview_fields": [spec for spec, _i in columns],
            "preview": preview,
            "row_count": len(table.rows),
            "preview_count": min(PREVIEW_ROWS, len(table.rows)),
        },
        status=status,
    )
