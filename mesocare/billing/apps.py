from django.apps import AppConfig


class BillingConfig(AppConfig):
    name = "mesocare.billing"
    verbose_name = "Billing"
