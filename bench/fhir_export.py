"""FHIR Bulk Data export rate: a whole organization's system-level $export, run by the same
code as the background worker (`mesocare.fhir.bulk.export.run_export`).

Prints resources/s of the export beside the rate at which the database alone hands over the
same tables (`COPY (SELECT * FROM t) TO STDOUT` on PostgreSQL, a plain cursor read on SQLite),
measured in the same process and run, and their ratio (target >= 30 %); the export's peak
Python memory (target <= 300 MB); and the ratio to 720 resources/s (the Bulk Data export rate
reported for a published open-source FHIR server; target >= 10x).

Each patient gets an allergy, a medication, a condition, a weight and a past appointment; with
``--histories`` (the default for ``--patients`` of 10,000 and more) also a course (CarePlan,
four planned sessions) whose first appointment was charted and signed: a session (Encounter,
Procedure) with two injections of one product each (two MedicationAdministrations), so every
clinical type of a real record is in the mix. Rows are seeded with ``bulk_create``.

    python bench/fhir_export.py                      # quick (make bench): 2,000 patients
    python bench/fhir_export.py --patients 100000    # the full run, full histories
    python bench/fhir_export.py --patients 100000 --keep  # seed once, export again next time
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


def seed_histories(org, location, room, membership, count: int, courses: bool) -> None:  # type: ignore[no-untyped-def]
    from mesocare.demo.management.commands.seed_patients import seed_patients
    from mesocare.patients.models import Allergy, Condition, Medication, Patient, Weight
    from mesocare.scheduling.models import Appointment

    seed_patients(org, count)
    ids = list(Patient.objects.for_org(org).values_list("pk", flat=True))
    start = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)
    catalog = course_catalog(org, location) if courses else None
    for first in range(0, len(ids), BATCH):
        chunk = ids[first : first + BATCH]
        common = [{"organization": org, "patient_id": pk} for pk in chunk]
        if catalog is not None:
            seed_courses(org, location, room, membership, chunk, first, catalog)
            continue
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


def course_catalog(org, location):  # type: ignore[no-untyped-def]
    """The catalog rows a course needs: a protocol (version 1), a product lot, two zones."""
    from mesocare.catalog.loader import load_catalog
    from mesocare.catalog.models import Product, Protocol, ProtocolVersion, Zone
    from mesocare.inventory.models import ProductLot

    if not Protocol.objects.filter(organization__isnull=True).exists():
        load_catalog()
    protocol = Protocol.objects.filter(organization__isnull=True).order_by("pk").first()
    product = (
        Product.objects.filter(organization__isnull=True, components__isnull=False)
        .order_by("pk")
        .first()
    )
    version, _ = ProtocolVersion.objects.get_or_create(
        protocol=protocol, version=1, defaults={"snapshot": {}}
    )
    lot = ProductLot.objects.create(
        organization=org,
        product=product,
        location=location,
        lot_number="BENCH-1",
        expiry=dt.date(2030, 1, 31),
        received_ml=Decimal(100000),
    )
    zones = list(Zone.objects.order_by("pk")[:2])
    return protocol, version, lot, zones


def seed_courses(org, location, room, membership, chunk, first, catalog) -> None:  # type: ignore[no-untyped-def]
    """Per patient: allergy, medication, condition, weight, and a course whose first session
    was booked, charted and signed (two injections, one product each)."""
    from mesocare.charting.models import CocktailComponent, InjectionRecord, TreatmentSession
    from mesocare.patients.models import Allergy, Condition, Medication, Weight
    from mesocare.plans.models import PlannedSession, TreatmentPlan
    from mesocare.scheduling.models import Appointment

    protocol, version, lot, zones = catalog
    user = membership.user
    start = dt.datetime(2024, 1, 1, 9, tzinfo=dt.UTC)
    common = [{"organization": org, "patient_id": pk} for pk in chunk]
    Allergy.objects.bulk_create(Allergy(**c, substance="Lidocaine") for c in common)
    Medication.objects.bulk_create(
        Medication(**c, name="Warfarin", drug_class="anticoagulant") for c in common
    )
    Condition.objects.bulk_create(Condition(**c, code="diabetes") for c in common)
    Weight.objects.bulk_create(
        Weight(**c, kg=Decimal("64.5"), measured_on=dt.date(2024, 1, 1)) for c in common
    )
    plans = TreatmentPlan.objects.bulk_create(
        TreatmentPlan(
            **c,
            protocol=protocol,
            protocol_version=version,
            status="active",
            sessions_planned=4,
            sessions_by_rule=4,
            interval_min_days=7,
            interval_target_days=14,
            interval_max_days=21,
            response_check_session=2,
            session_duration_min=30,
            room_kind="body",
            start_on=dt.date(2024, 1, 1),
            created_by=user,
        )
        for c in common
    )
    planned = PlannedSession.objects.bulk_create(
        PlannedSession(organization=org, plan=plan, index=i) for plan in plans for i in (1, 2, 3, 4)
    )
    firsts = planned[::4]
    appointments = Appointment.objects.bulk_create(
        Appointment(
            organization=org,
            location=location,
            room=room,
            practitioner=membership,
            patient_id=plan.patient_id,
            start=start + dt.timedelta(minutes=30 * n),
            end=start + dt.timedelta(minutes=30 * n + 30),
            status="completed",
            plan=plan,
            planned_session=first_session,
            course_index=1,
            created_by=user,
        )
        for n, (plan, first_session) in enumerate(zip(plans, firsts, strict=True), start=first)
    )
    sessions = TreatmentSession.objects.bulk_create(
        TreatmentSession(
            organization=org,
            patient_id=appointment.patient_id,
            practitioner=membership,
            location=location,
            appointment=appointment,
            planned_session=first_session,
            protocol=protocol,
            protocol_version=version,
            started_at=appointment.start,
            signed_at=appointment.end,
            signed_by=user,
            created_by=user,
            pain_vas=Decimal("2.5"),
        )
        for appointment, first_session in zip(appointments, firsts, strict=True)
    )
    injections = InjectionRecord.objects.bulk_create(
        InjectionRecord(
            organization=org,
            session=session,
            n=n + 1,
            zone=zone,
            technique="nappage",
            depth_mm=Decimal("2.0"),
            points=20,
            total_volume_ml=Decimal("2.000"),
            created_by=user,
        )
        for session in sessions
        for n, zone in enumerate(zones)
    )
    CocktailComponent.objects.bulk_create(
        CocktailComponent(organization=org, injection=injection, lot=lot, volume_ml=Decimal("2"))
        for injection in injections
    )


def settle(vendor: str) -> None:
    """VACUUM ANALYZE the fresh rows, as autovacuum does to a clinic's database: otherwise the
    first reader (the export) pays for setting every row's hint bits and COPY, run after it,
    does not."""
    from django.db import connection

    if vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")


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


def backend_cpu(pid: int) -> float | None:
    """Seconds of CPU (user + system) a local PostgreSQL backend has used, or None when its
    process is not readable here (a remote server)."""
    import os

    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_per_type(org_id: int, vendor: str) -> None:
    """CPU per resource of each type, in this process (Python: reading the copy, appending
    ``meta``) and in its PostgreSQL backend (building the JSON), one connection, one snapshot:
    deterministic beside the wall-clock rate of a shared machine."""
    from django.db import connection, transaction

    from mesocare.fhir.bulk.timestamps import iso_timestamps
    from mesocare.fhir.registry import MappingContext, resource_types

    ctx = MappingContext.for_org(org_id)
    print(f"{'type':<26}{'resources':>10}{'Python us/res':>15}{'database us/res':>17}")
    totals = [0, 0.0, 0.0]
    with transaction.atomic(), iso_timestamps():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()" if vendor == "postgresql" else "SELECT 0")
            pid = cursor.fetchone()[0]
        for rtype in resource_types():
            if not rtype.exported:
                continue
            py0, db0 = time.process_time(), backend_cpu(pid) if pid else None
            count = sum(n for n, _block in rtype.iter_blocks(ctx))
            py, db1 = time.process_time() - py0, backend_cpu(pid) if pid else None
            db = db1 - db0 if db0 is not None and db1 is not None else None
            if not count:
                continue
            totals[0] += count
            totals[1] += py
            totals[2] += db or 0.0
            db_text = f"{db / count * 1e6:17.1f}" if db is not None else f"{'n/a':>17}"
            print(f"{rtype.name:<26}{count:>10}{py / count * 1e6:15.1f}{db_text}")
        if totals[0]:
            n = totals[0]
            print(f"{'all':<26}{n:>10.0f}{totals[1] / n * 1e6:15.1f}{totals[2] / n * 1e6:17.1f}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--sqlite", action="store_true", help="force SQLite")
    parser.add_argument(
        "--histories",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="courses, signed sessions and injections too (default: from 10,000 patients)",
    )
    parser.add_argument(
        "--database", default="mesocare_bench_fhir_export", help="the throw-away database's name"
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the seeded database (PostgreSQL) and reuse it when it is already there",
    )
    parser.add_argument(
        "--cpu-per-type",
        action="store_true",
        help="also print CPU per resource of each type (Python and the PostgreSQL backend)",
    )
    args = parser.parse_args()
    histories = args.histories if args.histories is not None else args.patients >= 10_000

    use_pg = False if args.sqlite else None
    with throwaway_database(args.database, use_pg=use_pg, keep=args.keep) as vendor:
        import tempfile

        from django.conf import settings

        from mesocare.accounts.models import User
        from mesocare.clinics.actor import Actor
        from mesocare.clinics.models import Location, Membership, Organization, Room
        from mesocare.fhir.bulk import export
        from mesocare.fhir.bulk.models import ExportJob
        from mesocare.fhir.registry import resource_types

        settings.MEDIA_ROOT = tempfile.mkdtemp()
        membership = Membership.objects.filter(organization__slug="bench").first()
        if membership is None:
            org = Organization.objects.create(name="Bench clinic", slug="bench")
            location = Location.objects.create(
                organization=org, name="Main", timezone="Europe/Rome"
            )
            room = Room.objects.create(organization=org, location=location, name="R1", kind="body")
            user = User.objects.create_user("bench@example.org", "bench-password")
            membership = Membership.objects.create(user=user, organization=org, role="admin")
            seed_histories(org, location, room, membership, args.patients, histories)
            settle(vendor)
        else:
            from mesocare.patients.models import Patient

            args.patients = Patient.objects.filter(organization=membership.organization).count()
            print(f"reusing the seeded database ({args.patients} patients, --keep)")
        actor = Actor(membership=membership)
        if args.cpu_per_type:
            cpu_per_type(membership.organization_id, vendor)

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
            for item in job.errors:  # an OperationOutcome file: say why a type failed
                print((export.job_dir(job) / item["file"]).read_text()[:2000])
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
        print(
            f"database: {vendor}, patients: {args.patients}"
            f"{' with full histories' if histories else ''}, resources exported: {resources}"
        )
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
