"""FHIR Bulk Data export rate: a whole organization's system-level $export, run by the same
code as the background worker (`mesocare.fhir.bulk.export.run_export`).

Prints resources/s of the export beside the rate at which the database alone hands over the
same tables (`COPY (SELECT * FROM t) TO STDOUT` on PostgreSQL, a plain cursor read on SQLite),
measured in the same process and run, and their ratio (target >= 30 %); the export's peak
Python memory (target <= 300 MB); and the ratio to 720 resources/s (the Bulk Data export rate
reported for a published open-source FHIR server; target >= 10x).

Each patient gets an allergy, a medication, a condition, a weight and a past appointment.

    python bench/fhir_export.py                      # quick (make bench): 2,000 patients
    python bench/fhir_export.py --patients 100000    # the full run
"""

from __future__ import annotations

import argparse
import datetime as dt
import time
import tracemalloc
from decimal import Decimal

from _harness import throwaway_database

REFERENCE_RATE = 720.0
BATCH = 5000


def seed_histories(org, location, room, membership, count: int) -> None:  # type: ignore[no-untyped-def]
    from mesocare.demo.management.commands.seed_patients import seed_patients
    from mesocare.patients.models import Allergy, Condition, Medication, Patient, Weight
    from mesocare.scheduling.models import Appointment

    seed_patients(org, count)
    ids = list(Patient.objects.for_org(org).values_list("pk", flat=True))
    start = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)
    for first in range(0, len(ids), BATCH):
        chunk = ids[first : first + BATCH]
        common = [{"organization": org, "patient_id": pk} for pk in chunk]
        Allergy.objects.bulk_create(Allergy(**c, substance="Lidocaine") for c in common)
        Medication.objects.bulk_create(
            Medication(**c, name="Warfarin", drug_class="anticoagulant") for c in common
        )
        Condition.objects.bulk_create(Condition(**c, code="diabetes") for c in common)
        Weight.objects.bulk_create(
            Weight(**c, kg=Decimal("64.5"), measured_on=dt.date(2024, 1, 1)) for c in common
        )
        Appointment.objects.bulk_create(
            Appointment(
                organization=org,
                location=location,
                room=room,
                practitioner=membership,
                patient_id=pk,
                start=start + dt.timedelta(minutes=30 * n),
                end=start + dt.timedelta(minutes=30 * n + 30),
                status="completed",
                created_by=membership.user,
            )
            for n, pk in enumerate(chunk, start=first)
        )


def database_rate(vendor: str, tables: list[str]) -> tuple[int, float]:
    """Rows and seconds for the database to hand over every row of `tables`."""
    from django.db import connection

    rows = 0
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in tables:
            if vendor == "postgresql":
                raw = cursor.connection.cursor()
                with raw.copy(f"COPY (SELECT * FROM {table}) TO STDOUT") as copy:
                    for _row in copy.rows():
                        rows += 1
            else:
                cursor.execute(f"SELECT * FROM {table}")
                while batch := cursor.fetchmany(2000):
                    rows += len(batch)
    return rows, time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--sqlite", action="store_true", help="force SQLite")
    args = parser.parse_args()

    with throwaway_database(
        "mesocare_bench_fhir_export", use_pg=False if args.sqlite else None
    ) as vendor:
        import tempfile

        from django.conf import settings

        from mesocare.accounts.models import User
        from mesocare.clinics.actor import Actor
        from mesocare.clinics.models import Location, Membership, Organization, Room
        from mesocare.fhir.bulk import export
        from mesocare.fhir.bulk.models import ExportJob
        from mesocare.fhir.registry import resource_types

        settings.MEDIA_ROOT = tempfile.mkdtemp()
        org = Organization.objects.create(name="Bench clinic", slug="bench")
        location = Location.objects.create(organization=org, name="Main", timezone="Europe/Rome")
        room = Room.objects.create(organization=org, location=location, name="R1", kind="body")
        user = User.objects.create_user("bench@example.org", "bench-password")
        membership = Membership.objects.create(user=user, organization=org, role="admin")
        seed_histories(org, location, room, membership, args.patients)
        actor = Actor(membership=membership)

        def one_export(memory: bool) -> tuple[int, float, int]:
            job = export.kick_off(
                actor, level="system", params={}, request_url="bench", prefer="respond-async"
            )
            if memory:
                tracemalloc.start()
            started = time.perf_counter()
            export.run_export(job.pk)
            seconds = time.perf_counter() - started
            peak = 0
            if memory:
                peak = tracemalloc.get_traced_memory()[1]
                tracemalloc.stop()
            job = ExportJob.objects.get(pk=job.pk)
            assert job.status == "completed", job.progress
            count = sum(item["count"] for item in job.output)
            export.cancel(actor, job)
            return count, seconds, peak

        resources, seconds, _peak = one_export(memory=False)
        _count, _seconds, peak = one_export(memory=True)
        tables = sorted(
            {s.model._meta.db_table for t in resource_types() for s in t.sources}  # type: ignore[attr-defined]
        )
        rows, db_seconds = database_rate(vendor, tables)
        rate = resources / seconds
        db_rate = rows / db_seconds
        print(f"database: {vendor}, patients: {args.patients}, resources exported: {resources}")
        print(f"export                    {rate:12,.0f} resources/s ({seconds:.2f} s)")
        label = "COPY ... TO STDOUT" if vendor == "postgresql" else "cursor read (SQLite)"
        print(
            f"{label:<25} {db_rate:12,.0f} rows/s      "
            f"({db_seconds:.2f} s, {rows} rows, {len(tables)} tables)"
        )
        print(f"ratio export/database: {rate / db_rate:.1%} (target >= 30 %)")
        print(f"peak Python memory of the export: {peak / 2**20:.1f} MB (target <= 300 MB)")
        print(
            f"ratio to {REFERENCE_RATE:.0f} resources/s: {rate / REFERENCE_RATE:.1f}x "
            "(target >= 10x)"
        )


if __name__ == "__main__":
    main()
