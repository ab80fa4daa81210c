from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "mesocare.outcomes"
    verbose_name = "Outcomes"
