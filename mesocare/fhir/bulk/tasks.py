"""django-tasks jobs of the Bulk Data export (run by `mesocare worker`)."""

from __future__ import annotations

from django_tasks import task

from mesocare.fhir.bulk import export


@task()
def run_export(job_id: str) -> None:
    export.run_export(job_id)


@task()
def purge_expired_exports() -> int:
    return export.purge_expired()
