"""Bulk Data and SMART routes under the FHIR base (included before the read/search routes)."""

from django.urls import path, re_path

from mesocare.fhir import smart
from mesocare.fhir.bulk import views

urlpatterns = [
    path("auth/token", smart.token_view, name="smart-token"),
    path(".well-known/smart-configuration", smart.smart_configuration, name="smart-configuration"),
    path("$export", views.system_export, name="bulk-export"),
    path("Patient/$export", views.patient_export, name="bulk-export-patient"),
    re_path(
        r"^Group/(?P<group_id>[A-Za-z0-9\-\.]{1,64})/\$export$",
        views.group_export,
        name="bulk-export-group",
    ),
    path("bulk-status/<uuid:job_id>", views.export_status, name="bulk-status"),
    re_path(
        r"^bulk-files/(?P<job_id>[0-9a-f-]{36})/(?P<name>[A-Za-z]+-[0-9]+\.ndjson|errors\.ndjson)$",
        views.export_file,
        name="bulk-file",
    ),
]
