from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "mesocare.clinics"
    verbose_name = "Clinics"
