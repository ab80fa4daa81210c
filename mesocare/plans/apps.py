from django.apps import AppConfig


class PlansConfig(AppConfig):
    name = "mesocare.plans"
    verbose_name = "Plans"
