from django.apps import AppConfig


class SafetyConfig(AppConfig):
    name = "mesocare.safety"
    verbose_name = "Safety"
