from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "mesocare.booking"
    label = "booking"
    verbose_name = "Online booking"

    def ready(self) -> None:
        from mesocare.booking import receivers

        receivers.connect()
