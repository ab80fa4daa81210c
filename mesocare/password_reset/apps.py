from django.apps import AppConfig


class PasswordResetConfig(AppConfig):
    name = "mesocare.password_reset"
    label = "password_reset"
    verbose_name = "Password reset"
