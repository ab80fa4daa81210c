from django.apps import AppConfig


class InventoryConfig(AppConfig):
    name = "mesocare.inventory"
    verbose_name = "Inventory"
