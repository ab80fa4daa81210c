from typing import Any

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _load_curated_catalog(sender: AppConfig, **kwargs: Any) -> None:
    from mesocare.catalog.loader import load_catalog

    load_catalog()


class CatalogConfig(AppConfig):
    name = "mesocare.catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        # The curated defaults are data every installation needs: load (upsert) them after
        # every migrate, so a new release's catalog arrives with `migrate`.
        post_migrate.connect(_load_curated_catalog, sender=self)
