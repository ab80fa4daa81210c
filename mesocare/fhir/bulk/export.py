"""Bulk Data export (FHIR Bulk Data Access IG 2.0.0): kick-off, the background run, status,
cancel and retention.

The run reads one consistent snapshot: on PostgreSQL a REPEATABLE READ transaction (its start is
the manifest's ``transactionTime``), shared with the connections that write other types at the
same time (`mesocare.fhir.bulk.snapshot_workers`); SQLite's read transaction is a snapshot by
construction (WAL). Resources stream from the registry's ``iter_blocks`` (blocks of serialized
lines, built by the database or from chunked reads of tuples, each resource serialized once) into
ndjson files, one type per file, a new file every ``FHIR_EXPORT_FILE_LINES`` lines, so memory
stays bounded whatever the organization's size.
Groups are the patients seen at one location (``Group/<location id>``): the product has no
other patient sets."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.models import Location
from mesocare.fhir.bulk.models import ExportJob, ExportStatus
from mesocare.fhir.bulk.snapshot_workers import write_all
from mesocare.fhir.bulk.timestamps import iso_timestamps
from mesocare.fhir.outcome import FhirError, operation_outcome
from mesocare.fhir.registry import MappingContext, ResourceType, resource_types
from mesocare.scheduling.models import Appointment

NDJSON_FORMATS = {"application/fhir+ndjson", "application/ndjson", "ndjson"}
SUPPORTED_PARAMS = {"_type", "_since", "_outputFormat"}
ACTIVE = (ExportStatus.ACCEPTED, ExportStatus.RUNNING)
CANCEL_MARKER = "CANCELLED"
WRITE_BUFFER = 1 << 20


def file_lines() -> int:
    return int(getattr(settings, "FHIR_EXPORT_FILE_LINES", 100_000))


def max_running() -> int:
    return int(getattr(settings, "FHIR_EXPORT_MAX_RUNNING", 2))


def retention() -> dt.timedelta:
    return dt.timedelta(hours=int(getattr(settings, "FHIR_EXPORT_RETENTION_HOURS", 24)))


def export_root() -> Path:
    return Path(settings.MEDIA_ROOT) / "fhir-export"


def job_dir(job: ExportJob) -> Path:
    return export_root() / str(job.id)


def readable_types(actor: Actor, level: str) -> list[ResourceType]:
    types = [t for t in resource_types() if t.exported and actor.can(t.perm)]
    if level != "system":
        types = [t for t in types if t.patient_data]
    return types


def _parse_since(text: str) -> dt.datetime:
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise FhirError(
            400, _("_since must be a FHIR instant (e.g. 2026-01-01T00:00:00Z).")
        ) from None
    if value.tzinfo is None:
        raise FhirError(400, _("_since needs a time zone (e.g. 2026-01-01T00:00:00Z)."))
    return value


def kick_off(
    actor: Actor,
    *,
    level: str,
    params: dict[str, str],
    request_url: str,
    prefer: str,
    group_id: str | None = None,
) -> ExportJob:
    """Check an export request and queue it; FhirError for what the IG says to refuse."""
    if "respond-async" not in [p.strip() for p in prefer.split(",")]:
        raise FhirError(400, _("Bulk export needs the header Prefer: respond-async."))
    unknown = sorted(set(params) - SUPPORTED_PARAMS)
    if unknown:
        raise FhirError(400, _("Not supported: %s.") % ", ".join(unknown), code="not-supported")
    fmt = params.get("_outputFormat", "application/fhir+ndjson").replace(" ", "+")
    if fmt not in NDJSON_FORMATS:
        raise FhirError(400, _("_outputFormat must be application/fhir+ndjson."))
    available = {t.name: t for t in readable_types(actor, level)}
    if params.get("_type"):
        wanted = [name.strip() for name in params["_type"].split(",") if name.strip()]
        bad = [name for name in wanted if name not in available]
        if bad:
            raise FhirError(
                400,
                _("These types cannot be exported here: %s.") % ", ".join(bad),
                code="not-supported",
            )
        types = list(dict.fromkeys(wanted))
    else:
        types = list(available)
    since = _parse_since(params["_since"]) if params.get("_since") else None
    location = None
    if level == "group":
        location = (
            Location.objects.for_org(actor.org_id).filter(pk=int(group_id)).first()
            if group_id and group_id.isdigit() and len(group_id) < 18
            else None
        )
        if location is None:
            raise FhirError(404, _("No Group with this id."))
    purge_expired()
    with transaction.atomic():
        running = (
            ExportJob.objects.for_org(actor.org_id).select_for_update().filter(status__in=ACTIVE)
        )
        if len(running) >= max_running():
            raise FhirError(429, _("Too many exports are running; try again in a minute."))
        job = ExportJob.objects.create(
            organization_id=actor.org_id,
            membership=actor.membership,
            level=level,
            group_id=location.pk if location else None,
            types=types,
            since=since,
            request_url=request_url,
        )
        record(
            actor,
            AuditAction.EXPORT,
            job,
            summary=f"FHIR bulk export ({level}) of {', '.join(types)}"[:255],
            channel="fhir",
        )
    return job


def _patient_ids(job: ExportJob) -> Iterable[int] | None:
    if job.level != "group" or job.group_id is None:
        return None
    return (
        Appointment.objects.for_org(job.organization_id)
        .filter(location_id=job.group_id)
        .values_list("patient_id", flat=True)
        .distinct()
    )


def _cancelled(directory: Path) -> bool:
    return (directory / CANCEL_MARKER).exists()


def run_export(job_id: Any) -> None:
    """The background part: write the ndjson files of one job and its manifest data."""
    job = ExportJob.objects.filter(pk=job_id, status=ExportStatus.ACCEPTED).first()
    if job is None:
        return
    # Written before the snapshot starts: rows written inside it stay invisible to the poller
    # until it ends, and would conflict with a concurrent cancel under REPEATABLE READ.
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.RUNNING, progress=f"exporting {len(job.types)} resource types"
    )
    directory = job_dir(job)
    directory.mkdir(parents=True, exist_ok=True)
    ctx = MappingContext.for_org(job.organization_id)
    types = {t.name: t for t in resource_types()}
    output: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    # Inside an outer transaction (a test) that transaction is already the snapshot.
    outermost = not connection.in_atomic_block
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql" and outermost:
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT now()")  # the transaction's start
                    transaction_time = cursor.fetchone()[0]
            else:
                transaction_time = timezone.now()
            patient_ids = _patient_ids(job)
            ids = list(patient_ids) if patient_ids is not None else None

            def write(name: str) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
                try:
                    # A savepoint: on PostgreSQL a failed query aborts the transaction,
                    # and the other types must still be written (same snapshot).
                    with transaction.atomic():
                        return _write_type(directory, types[name], ctx, job, ids), None
                except _Cancelled:
                    raise
                except Exception as exc:  # one type failing must not lose the others
                    return [], {"type": name, "message": str(exc)[:500]}

            with iso_timestamps():
                parallel = connection.vendor == "postgresql" and outermost
                written = write_all(list(job.types), write, parallel)
            for name in job.types:
                files, error = written[name]
                output += files
                if error is not None:
                    errors.append(error)
    except _Cancelled:
        shutil.rmtree(directory, ignore_errors=True)
        return
    except Exception as exc:
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
            status=ExportStatus.FAILED, progress=str(exc)[:100], finished_at=timezone.now()
        )
        shutil.rmtree(directory, ignore_errors=True)
        return
    error_files = []
    if errors:
        path = directory / "errors.ndjson"
        with path.open("w", encoding="utf-8") as out:
            for error in errors:
                outcome = operation_outcome(500, f"{error['type']}: {error['message']}")
                out.write(json.dumps(outcome, separators=(",", ":")) + "\n")
        error_files.append({"type": "OperationOutcome", "file": path.name, "count": len(errors)})
    now = timezone.now()
    updated = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.COMPLETED,
        progress="",
        transaction_time=transaction_time,
        output=output,
        errors=error_files,
        finished_at=now,
        expires_at=now + retention(),
    )
    if not updated:  # cancelled while finishing
        shutil.rmtree(directory, ignore_errors=True)


class _Cancelled(Exception):
    pass


def _write_type(
    directory: Path,
    rtype: ResourceType,
    ctx: MappingContext,
    job: ExportJob,
    patient_ids: list[int] | None,
) -> list[dict[str, Any]]:
    """One type's ndjson files, written a block of lines at a time (a new file every
    `file_lines` lines: a block that crosses the limit is split there)."""
    limit = file_lines()
    files: list[dict[str, Any]] = []
    out = None
    try:
        for count, block in rtype.iter_blocks(ctx, since=job.since, patient_ids=patient_ids):
            while count:
                if out is None or files[-1]["count"] == limit:
                    if out is not None:
                        out.close()
                        if _cancelled(directory):
                            raise _Cancelled
                    name = f"{rtype.name}-{len(files) + 1}.ndjson"
                    out = (directory / name).open("wb", buffering=WRITE_BUFFER)
                    files.append({"type": rtype.name, "file": name, "count": 0})
                room = limit - files[-1]["count"]
                if count <= room:
                    out.write(block + b"\n")
                    files[-1]["count"] += count
                    break
                lines = block.split(b"\n")
                out.write(b"\n".join(lines[:room]) + b"\n")
                files[-1]["count"] += room
                block, count = b"\n".join(lines[room:]), count - room
    finally:
        if out is not None:
            out.close()
    return files


def cancel(actor: Actor, job: ExportJob) -> None:
    """DELETE on the status URL: stop a running export or remove a finished one's files."""
    directory = job_dir(job)
    if job.status in ACTIVE and directory.exists():
        (directory / CANCEL_MARKER).touch()
    ExportJob.objects.filter(pk=job.pk).update(
        status=ExportStatus.CANCELLED, finished_at=timezone.now()
    )
    if job.status not in ACTIVE:
        shutil.rmtree(directory, ignore_errors=True)
    record(actor, AuditAction.DELETE, job, summary="FHIR bulk export cancelled", channel="fhir")


def purge_expired(now: dt.datetime | None = None) -> int:
    """Remove the files of exports past their retention (and of cancelled or failed ones)."""
    now = now or timezone.now()
    expired = list(
        ExportJob.objects.filter(status=ExportStatus.COMPLETED, expires_at__lt=now).values_list(
            "pk", flat=True
        )
    )
    for pk in expired:
        shutil.rmtree(export_root() / str(pk), ignore_errors=True)
    ExportJob.objects.filter(pk__in=expired).update(
        status=ExportStatus.CANCELLED, output=[], errors=[]
    )
    stale = ExportJob.objects.filter(
        status__in=(ExportStatus.CANCELLED, ExportStatus.FAILED),
        finished_at__lt=now - dt.timedelta(minutes=5),
    ).values_list("pk", flat=True)
    for pk in stale:
        path = export_root() / str(pk)
        if path.exists():
            shutil.rmtree(path, ignore_errors=True)
    return len(expired)


def manifest(job: ExportJob, base_url: str) -> dict[str, Any]:
    def url(name: str) -> str:
        return f"{base_url}/bulk-files/{job.id}/{name}"

    assert job.transaction_time is not None
    return {
        "transactionTime": job.transaction_time.isoformat(),
        "request": job.request_url,
        "requiresAccessToken": True,
        "output": [
            {"type": f["type"], "url": url(f["file"]), "count": f["count"]} for f in job.output
        ],
        "error": [
            {"type": f["type"], "url": url(f["file"]), "count": f["count"]} for f in job.errors
        ],
    }
