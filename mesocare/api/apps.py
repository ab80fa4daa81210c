from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "mesocare.api"
    verbose_name = "API"
