from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "mesocare.web"
    verbose_name = "Staff UI"
