from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "mesocare.demo"
    verbose_name = "Demo data"
