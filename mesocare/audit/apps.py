from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mesocare.audit"
    verbose_name = "Audit"
