from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class NotifyConfig(AppConfig):
    name = "mesocare.notify"
    verbose_name = "Notify"

    def ready(self) -> None:
        from mesocare.notify import receivers
        from mesocare.notify.quiet import parse_quiet_hours

        try:
            parse_quiet_hours(settings.NOTIFY_QUIET_HOURS)
        except ValueError as exc:
            raise ImproperlyConfigured(f"NOTIFY_QUIET_HOURS: {exc}") from exc
        receivers.connect()
