"""`mesocare audit archive --before YYYY-MM`: the audit events of the months before that month
go to a verified, checksummed archive file and leave the database (see mesocare.audit.archive)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesocare.audit.archive import RetentionError, archive
from mesocare.clinics.models import Organization
from mesocare.core.months import Month


class Command(BaseCommand):
    help = (
        "Archive the audit events of every month before --before (UTC months) to a gzip "
        "JSON-lines file with a SHA-256 checksum, verify it, then remove those events. "
        "Refuses months younger than MESOCARE_AUDIT_RETENTION_MONTHS unless --force."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--before", required=True, help="first month kept, YYYY-MM")
        parser.add_argument(
            "--dir", help="where the archive goes (default: <MESOCARE_VAR_DIR>/audit-archives)"
        )
        parser.add_argument("--org", help="one organization's slug (default: every one)")
        parser.add_argument("--dry-run", action="store_true", help="count only; change nothing")
        parser.add_argument(
            "--force", action="store_true", help="archive inside the legal retention (audited)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            before = Month.parse(options["before"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        org_id = None
        if options["org"]:
            org = Organization.objects.filter(slug=options["org"]).first()
            if org is None:
                raise CommandError(f"no organization with the slug {options['org']!r}")
            org_id = org.pk
        directory = Path(options["dir"] or settings.VAR_DIR / "audit-archives")
        try:
            result = archive(
                before,
                directory,
                organization_id=org_id,
                dry_run=options["dry_run"],
                force=options["force"],
            )
        except RetentionError as exc:
            raise CommandError(str(exc)) from exc
        for month, count in result.by_month.items():
            self.stdout.write(f"{month}: {count} events")
        if result.dry_run:
            self.stdout.write(
                f"Dry run: {result.events} events before {before} would be archived; "
                "nothing changed."
            )
        elif result.path is None:
            self.stdout.write(f"No audit events before {before}; nothing archived.")
        else:
            self.stdout.write(
                f"Archived {result.events} events to {result.path} "
                f"(sha256 {result.sha256}), verified, and removed {result.removed} from the "
                "database."
            )
