from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "mesocare.scheduling"
    verbose_name = "Scheduling"
