"""`mesocare audit verify FILE`: an audit archive matches its checksum and reads back whole."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesocare.audit.archive_file import ArchiveCorrupt, verify


class Command(BaseCommand):
    help = "Check an audit archive file against its .sha256 file and read every event back."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            events, sha = verify(path)
        except (ArchiveCorrupt, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{path.name}: {events} events, sha256 {sha}, OK")
