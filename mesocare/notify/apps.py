from django.apps import AppConfig


class NotifyConfig(AppConfig):
    name = "mesocare.notify"
    verbose_name = "Notify"
