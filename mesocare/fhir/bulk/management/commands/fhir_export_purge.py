"""Remove Bulk Data export files past their retention period (run it from cron; a new export
also removes expired ones first)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from mesocare.fhir.bulk.export import purge_expired


class Command(BaseCommand):
    help = "Remove FHIR Bulk Data export files past MESOCARE_FHIR_EXPORT_RETENTION_HOURS."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(f"Removed the files of {purge_expired()} expired exports.")
