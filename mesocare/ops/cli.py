"""The `mesocare backup` and `mesocare restore` commands (argument handling and output)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from django.conf import settings

from mesocare.ops.backup import BackupError, create_backup, restore_backup, verify_backup


def default_archive() -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%d-%H%M%S")
    return Path(settings.VAR_DIR) / "backups" / f"mesocare-{stamp}.tar"


def run_backup_command(args: argparse.Namespace) -> int:
    try:
        if args.command == "backup":
            output = Path(args.output) if args.output else default_archive()
            manifest = create_backup(output)
            rows = sum(manifest["record_counts"].values())
            print(
                f"Backup written to {output}: {manifest['database']['engine']} database "
                f"({rows} rows in {len(manifest['record_counts'])} tables), "
                f"{len(manifest['files']) - 1} media files."
            )
            return 0
        if args.check:
            manifest = verify_backup(Path(args.archive))
            print(f"{args.archive}: every checksum matches (made {manifest['created_at']}).")
            return 0
        if not args.yes and not _confirmed(args.archive):
            print("Restore cancelled.", file=sys.stderr)
            return 1
        report = restore_backup(Path(args.archive))
    except BackupError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"Restored the {report.engine} backup made {report.created_at}: "
        f"{sum(report.record_counts.values())} rows, {report.files} media files."
    )
    return 0


def _confirmed(archive: str) -> bool:
    if not sys.stdin.isatty():
        print("restore replaces the database and the media: pass --yes.", file=sys.stderr)
        return False
    answer = input(f"Replace this installation's database and media with {archive}? [y/N] ")
    return answer.strip().lower() in ("y", "yes")
