from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FhirBulkConfig(AppConfig):
    name = "mesocare.fhir.bulk"
    label = "fhir_bulk"
    verbose_name = _("FHIR bulk access")
