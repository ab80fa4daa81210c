from django.apps import AppConfig


class ChartingConfig(AppConfig):
    name = "mesocare.charting"
    verbose_name = "Charting"
