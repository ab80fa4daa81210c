"""`mesocare import csv`: the switching import from the command line (see docs/switching.md)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Membership
from mesocare.errors import DomainError
from mesocare.imports.choices import FileEncoding, ImportKind
from mesocare.imports.csvfile import max_bytes, read_table, too_large_message
from mesocare.imports.services import import_table
from mesocare.imports.specs import guess_mapping


class Command(BaseCommand):
    help = "Import patients, future appointments or stock lots from another system's CSV file."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--kind", required=True, choices=list(ImportKind.values))
        parser.add_argument("--org", required=True, help="organization slug")
        parser.add_argument("--user", required=True, help="email of the admin who imports")
        parser.add_argument("--source", required=True, help="name of the system the file is from")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN",
            help="which column holds a field (repeatable; unmapped fields are guessed)",
        )
        parser.add_argument("--encoding", default="auto", choices=list(FileEncoding.values))
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
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"No file {path}.")
        if path.stat().st_size > max_bytes():
            raise CommandError(too_large_message(path.stat().st_size))
        explicit: dict[str, str] = {}
        for item in options["map"]:
            name, sep, column = item.partition("=")
            if not sep:
                raise CommandError(f"--map {item!r}: write FIELD=COLUMN.")
            explicit[name.strip()] = column.strip()
        try:
            table = read_table(path.read_bytes(), options["encoding"])
            mapping = {**guess_mapping(options["kind"], table.headers), **explicit}
            report = import_table(
                Actor(membership=membership),
                kind=options["kind"],
                source=options["source"],
                table=table,
                mapping=mapping,
                dry_run=options["dry_run"],
                channel="cli",
            )
        except DomainError as exc:
            details = "; ".join(f"{e['field']}: {e['message']}" for e in exc.errors)
            raise CommandError(details or exc.message) from None
        verb = "Would import" if report.dry_run else "Imported"
        counts = report.counts
        self.stdout.write(
            f"{verb} {path.name}: {counts['created']} created, {counts['matched']} linked to "
            f"patients on file, {counts['unchanged']} already imported, "
            f"{counts['skipped']} skipped."
        )
        for row in report.rows:
            if row.status == "skipped":
                self.stdout.write(
                    f"  row {row.line} ({row.external_id or '-'}): skipped: "
                    + "; ".join(row.reasons)
                )
            elif row.status == "matched":
                self.stdout.write(
                    f"  row {row.line} ({row.external_id}): " + "; ".join(row.reasons)
                )
