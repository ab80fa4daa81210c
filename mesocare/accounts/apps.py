from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "mesocare.accounts"
    verbose_name = "Accounts"
