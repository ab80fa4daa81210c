from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "mesocare.clinics"
    verbose_name = "Clinics"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from mesocare.clinics.middleware import forget_organization

        user_logged_in.connect(forget_organization, dispatch_uid="clinics.forget_organization")
