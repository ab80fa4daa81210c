from django.urls import path, re_path

from mesocare.fhir import views

app_name = "fhir"

# FHIR ids: [A-Za-z0-9\-\.]{1,64} (https://hl7.org/fhir/R4/datatypes.html#id).
_ID = r"(?P<fhir_id>[A-Za-z0-9\-\.]{1,64})"
_TYPE = r"(?P<type_name>[A-Z][A-Za-z]{1,63})"

urlpatterns = [
    path("metadata", views.metadata, name="metadata"),
    re_path(rf"^StructureDefinition/{_ID}$", views.structure_definition, name="structure"),
    re_path(rf"^CodeSystem/{_ID}$", views.code_system, name="codesystem"),
    re_path(rf"^{_TYPE}$", views.search_type, name="search"),
    re_path(rf"^{_TYPE}/{_ID}$", views.read, name="read"),
    # Keep last: anything else under the base is an OperationOutcome 404.
    re_path(r"^(?P<rest>.*)$", views.not_found, name="not-found"),
]
