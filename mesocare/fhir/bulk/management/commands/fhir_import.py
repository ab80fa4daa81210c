"""`mesocare fhir import DIR --org SLUG --user EMAIL`: a Bulk Data export into an organization
(see `mesocare.fhir.importer.bulk_import`)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.errors import DomainError
from mesocare.fhir.importer.bulk_import import ORDER, import_export


class Command(BaseCommand):
    help = f"Import a FHIR Bulk Data export (ndjson files): {', '.join(ORDER)}."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("directory")
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--user", required=True, help="email of the admin who imports")
        parser.add_argument(
            "--source", default="fhir", help="name of the system the export comes from"
        )
        parser.add_argument("--dry-run", action="store_true", help="report only; change nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        membership = (
            Membership.objects.filter(
                organization__slug=options["org"],
                user__email__iexact=options["user"],
                is_active=True,
            )
            .select_related("organization", "user")
            .first()
        )
        if membership is None:
            raise CommandError(f"{options['user']} is not a member of {options['org']!r}.")
        try:
            report = import_export(
                Actor(membership=membership),
                Path(options["directory"]),
                source=options["source"],
                dry_run=options["dry_run"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from None
        counts = report.counts
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(
            f"{verb}: {counts['created']} created, {counts['matched']} linked to records on "
            f"file, {counts['unchanged']} already imported, {counts['skipped']} skipped."
        )
        by_type: dict[str, Counter[str]] = {}
        for row in report.rows:
            type_name = row.external_id.split("/")[0] if "/" in row.external_id else "(lines)"
            by_type.setdefault(type_name, Counter())[row.status] += 1
        for type_name, statuses in by_type.items():
            self.stdout.write(
                f"  {type_name}: " + ", ".join(f"{n} {status}" for status, n in statuses.items())
            )
        for row in report.rows:
            if row.status == "skipped":
                self.stdout.write(
                    f"  {row.external_id} (line {row.line}): " + "; ".join(row.reasons)
                )
