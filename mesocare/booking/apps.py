from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "mesocare.booking"
    label = "booking"
    verbose_name = "Online booking"
