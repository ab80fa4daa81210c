"""Retention: the audit events of the months before a given month go to an archive file (see
`archive_file`), which is verified, and only then leave the database. On PostgreSQL, archiving
every organization detaches and drops those months' partitions; one organization's rows (and
every archive on SQLite) are deleted row by row. All in one transaction: if the file does not
verify or the counts differ, nothing is removed. The archive is itself audited."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, QuerySet
from django.db.models.functions import TruncMonth
from django.utils import timezone

from mesocare.audit import archive_file, partitions
from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent
from mesocare.audit.services import SYSTEM, record_without_user
from mesocare.core.months import Month, newest_archivable


class RetentionError(ValueError):
    """The month asked for is younger than the legal minimum retention."""


@dataclass
class ArchiveResult:
    before: Month
    organization_id: int | None
    by_month: dict[Month, int] = field(default_factory=dict)
    by_org: dict[int, int] = field(default_factory=dict)
    path: Path | None = None
    sha256: str = ""
    removed: int = 0
    dry_run: bool = False

    @property
    def events(self) -> int:
        return sum(self.by_month.values())


def check_retention(before: Month, today: dt.date, *, force: bool = False) -> None:
    months = settings.MESOCARE_AUDIT_RETENTION_MONTHS
    newest = newest_archivable(today, months)
    if before > newest and not force:
        raise RetentionError(
            f"refusing to archive the audit events before {before}: they must be kept "
            f"{months} months (MESOCARE_AUDIT_RETENTION_MONTHS), so on {today:%Y-%m-%d} the "
            f"latest --before allowed is {newest}; pass --force to archive anyway (audited)"
        )


def _events(before: Month, organization_id: int | None) -> QuerySet[AuditEvent]:
    qs = AuditEvent.objects.filter(at__lt=before.start_utc())
    if organization_id is not None:
        qs = qs.filter(organization_id=organization_id)
    return qs


def _count(result: ArchiveResult) -> None:
    rows = (
        _events(result.before, result.organization_id)
        .order_by()
        .annotate(month=TruncMonth("at", tzinfo=dt.UTC))
        .values("organization_id", "month")
        .annotate(n=Count("id"))
    )
    by_month: Counter[Month] = Counter()
    by_org: Counter[int] = Counter()
    for row in rows:
        by_month[Month.of(row["month"])] += row["n"]
        by_org[row["organization_id"]] += row["n"]
    result.by_month = dict(sorted(by_month.items()))
    result.by_org = dict(sorted(by_org.items()))


def _file_name(before: Month, organization_id: int | None, now: dt.datetime) -> str:
    scope = f"org{organization_id}" if organization_id is not None else "all"
    return f"audit-{scope}-before-{before}-{now:%Y%m%dT%H%M%SZ}.jsonl.gz"


def _remove(result: ArchiveResult, whole_partitions: bool) -> int:
    """Remove what was archived; returns the rows removed (counted before a partition drop)."""
    if whole_partitions:
        months = sorted(partitions.existing_months() & set(result.by_month))
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*) FROM {partitions.DEFAULT_PARTITION} WHERE at < %s",
                [result.before.start_utc()],
            )
            (left_in_default,) = cursor.fetchone()
        if left_in_default:
            raise RuntimeError("archived months still have rows in the DEFAULT partition")
        removed = _events(result.before, None).count()
        partitions.drop_partitions(months)
        return removed
    if connection.vendor == "postgresql":
        partitions.allow_row_removal()
    removed, _ = _events(result.before, result.organization_id).delete()
    return removed


def archive(
    before: Month,
    directory: Path,
    *,
    organization_id: int | None = None,
    dry_run: bool = False,
    force: bool = False,
    now: dt.datetime | None = None,
) -> ArchiveResult:
    now = (now or timezone.now()).astimezone(dt.UTC)
    check_retention(before, now.date(), force=force)
    result = ArchiveResult(before, organization_id, dry_run=dry_run)
    if dry_run:
        _count(result)
        return result
    partitioned = partitions.is_partitioned()
    if partitioned:
        # Rows of these months that sit in DEFAULT move to their own partitions first.
        _count(result)
        partitions.ensure_months(list(result.by_month))
    whole_partitions = partitioned and organization_id is None
    path = directory / _file_name(before, organization_id, now)
    if path.exists():
        raise FileExistsError(f"{path} already exists")
    try:
        with transaction.atomic():
            if partitioned:
                # No writes into these months meanwhile (the current month stays writable).
                names = [partitions.partition_name(m) for m in sorted(result.by_month)]
                with connection.cursor() as cursor:
                    cursor.execute(
                        f"LOCK TABLE {', '.join([*names, partitions.DEFAULT_PARTITION])} "
                        "IN SHARE MODE"
                    )
            _count(result)
            if not result.events:
                return result
            rows = (
                _events(before, organization_id)
                .order_by("at", "id")
                .values_list(*archive_file.FIELDS)
                .iterator(chunk_size=5000)
            )
            written = archive_file.write(path, rows)
            archive_file.verify(path, written)
            if written.events != result.events:
                raise archive_file.ArchiveCorrupt(
                    f"wrote {written.events} events, the database holds {result.events}"
                )
            result.path, result.sha256 = path, written.sha256
            result.removed = _remove(result, whole_partitions)
            if result.removed != written.events:
                raise RuntimeError(f"removed {result.removed} rows, archived {written.events}")
            _record(result, force)
    except BaseException:
        for leftover in (path, archive_file.checksum_path(path)):
            leftover.unlink(missing_ok=True)
        result.path, result.removed = None, 0
        raise
    return result


def _record(result: ArchiveResult, forced: bool) -> None:
    assert result.path is not None
    for org_id, count in result.by_org.items():
        record_without_user(
            org_id,
            AuditAction.DELETE,
            "audit.auditevent",
            "",
            label=SYSTEM,
            channel="cli",
            patient_id=None,
            summary=(
                f"archived and removed {count} audit events before {result.before} "
                f"to {result.path.name} (sha256 {result.sha256})"
            ),
            changes={
                "before": str(result.before),
                "file": str(result.path),
                "sha256": result.sha256,
                "events": count,
                "events_in_file": result.events,
                "months": [str(m) for m in result.by_month],
                "forced": forced,
            },
        )
