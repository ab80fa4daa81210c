"""On PostgreSQL a Bulk export writes two types at a time on two connections that read the
export's one snapshot (`mesocare.fhir.bulk.snapshot_workers`): the files are the ones a single
connection writes, and a row committed while the export runs is in none of them."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from fhir_helpers import populate  # type: ignore[import-not-found]

from mesocare.clinics.actor import Actor
from mesocare.fhir.bulk import export
from mesocare.fhir.bulk.models import ExportJob
from mesocare.patients.models import Patient

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's snapshots"),
]


def _export(clinic: Any, settings: Any, connections: int) -> dict[str, bytes]:
    settings.FHIR_EXPORT_CONNECTIONS = connections
    job = export.kick_off(
        Actor(membership=clinic.members["admin"]),
        level="system",
        params={},
        request_url="test",
        prefer="respond-async",
    )
    export.run_export(job.pk)
    job = ExportJob.objects.get(pk=job.pk)
    assert job.status == "completed" and job.errors == [], job.progress
    directory: Path = export.job_dir(job)
    return {item["file"]: (directory / item["file"]).read_bytes() for item in job.output}


def _commit_a_patient(clinic: Any, name: str) -> None:
    """A patient created and committed by another connection (another thread)."""

    def create() -> None:
        Patient.objects.create(
            organization=clinic.org,
            given_name=name,
            family_name="Late",
            birth_date=dt.date(1990, 1, 1),
            sex_at_birth="female",
        )
        connection.close()

    thread = threading.Thread(target=create)
    thread.start()
    thread.join()


def test_two_connections_write_the_files_one_connection_writes(
    clinic: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    settings.FHIR_EXPORT_FILE_LINES = 3
    with transaction.atomic():
        populate(clinic)
        populate(clinic, n=3)
    single = _export(clinic, settings, 1)
    assert len(single) > 10
    assert _export(clinic, settings, 2) == single


def test_a_row_committed_during_the_export_is_in_no_file(
    clinic: Any, settings: Any, tmp_path: Any, monkeypatch: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    with transaction.atomic():
        populate(clinic)
    write_type = export._write_type
    committed = []

    def write_then_commit(directory: Path, rtype: Any, *args: Any) -> Any:
        files = write_type(directory, rtype, *args)
        if not committed:
            committed.append(rtype.name)
            _commit_a_patient(clinic, "Zebedee")
        return files

    monkeypatch.setattr(export, "_write_type", write_then_commit)
    files = _export(clinic, settings, 2)
    assert committed and Patient.objects.filter(given_name="Zebedee").exists()
    assert not [name for name, text in files.items() if b"Zebedee" in text]
