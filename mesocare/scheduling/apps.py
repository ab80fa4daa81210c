from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "mesocare.scheduling"
    verbose_name = "Scheduling"

    def ready(self) -> None:
        from mesocare.scheduling import receivers

        receivers.connect()
