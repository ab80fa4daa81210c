from django.apps import AppConfig


class PatientsConfig(AppConfig):
    name = "mesocare.patients"
    verbose_name = "Patients"
