from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "mesocare.portal"
    verbose_name = "Patient portal"
