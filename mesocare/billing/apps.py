from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "mesocare.billing"
    verbose_name = "Billing"

    def ready(self) -> None:
        # Receivers of the signals the scheduling domain declares.
        from mesocare.billing import receivers  # noqa: F401
