from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "mesocare.outcomes"
    verbose_name = "Outcomes"

    def ready(self) -> None:
        from django.db.models.signals import post_save

        from mesocare.outcomes.receivers import on_consent_saved
        from mesocare.patients.models import Consent

        post_save.connect(on_consent_saved, sender=Consent, dispatch_uid="outcomes.consent")
