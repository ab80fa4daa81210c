from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "mesocare.audit"
    verbose_name = "Audit"

    def ready(self) -> None:
        from mesocare.audit import receivers

        receivers.connect()
