"""Recall traceback at scale: every recipient of one lot among 1,000,000 injection components
across 10,000 lots, on PostgreSQL.

Builds a throw-away database (created and dropped by the script), bulk-loads sessions,
injections and components with COPY, then times the recall query the API runs
(`mesocare.inventory.services.recall.recipients_query`: components of the lot → injection →
session → patient, zone) for random lots, beside a full-table count of the components in
the same run. Target: recall p95 <= 50 ms at 20,000,000 components. Never asserts wall-clock.

With --database-url it reads an existing seeded chain instead (`mesocare seed --scale
1000000`: about 20 components per patient, one lot per product, location and month) and
traces random lots of it; nothing is written.

    python bench/recall_trace.py [--components 1000000] [--lots 10000] [--queries 200]
    python bench/recall_trace.py --database-url postgres://…/mesocare_scale_1m
"""

from __future__ import annotations

import argparse
import random
import time
from datetime import UTC, date, datetime, timedelta

from _harness import p, summary, throwaway_database, timings_ms
from _scale import existing_database

INJECTIONS_PER_SESSION = 5
SESSIONS_PER_PATIENT = 10


def _copy(cursor: object, table: str, columns: list[str], rows: object) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:  # type: ignore[attr-defined]
        for row in rows:  # type: ignore[attr-defined]
            copy.write_row(row)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--components", type=int, default=1_000_000)
    parser.add_argument("--lots", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument(
        "--database-url", help="an existing seeded chain to read (mesocare seed --scale N)"
    )
    args = parser.parse_args()
    rng = random.Random(20240601)
    if args.database_url:
        with existing_database(args.database_url):
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT id FROM inventory_productlot l WHERE EXISTS "
                    "(SELECT 1 FROM charting_cocktailcomponent c WHERE c.lot_id = l.id)"
                )
                lot_ids = [row[0] for row in cursor.fetchall()]
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                               ["charting_cocktailcomponent"])  # fmt: skip
                estimate = cursor.fetchone()[0]
            print(
                f"existing chain: about {estimate:,} components across {len(lot_ids):,} used lots"
            )
            _measure(args, lot_ids, rng, count_runs=5)
        return

    with throwaway_database("mesocare_bench_recall", use_pg=True):
        from django.db import connection

        from mesocare.accounts.models import User
        from mesocare.catalog.models import Product, Zone
        from mesocare.charting.models import CocktailComponent, InjectionRecord, TreatmentSession
        from mesocare.clinics.models import Location, Membership, Organization
        from mesocare.inventory.models import ProductLot
        from mesocare.patients.models import Patient

        org = Organization.objects.create(name="Bench clinic", slug="bench")
        location = Location.objects.create(organization=org, name="Main", timezone="Europe/Rome")
        user = User.objects.create_user("bench@example.org", "bench-password")
        member = Membership.objects.create(user=user, organization=org, role="practitioner")
        products = list(Product.objects.filter(organization__isnull=True))
        zones = list(Zone.objects.values_list("code", flat=True))

        n_injections = args.components
        n_sessions = max(1, n_injections // INJECTIONS_PER_SESSION)
        n_patients = max(1, n_sessions // SESSIONS_PER_PATIENT)
        started = time.perf_counter()
        Patient.objects.bulk_create(
            (
                Patient(
                    organization=org,
                    given_name=f"Given{i}",
                    family_name=f"Family{i}",
                    birth_date=date(1950, 1, 1) + timedelta(days=i % 20000),
                    sex_at_birth="female",
                )
                for i in range(n_patients)
            ),
            batch_size=5000,
        )
        ProductLot.objects.bulk_create(
            (
                ProductLot(
                    organization=org,
                    product=products[i % len(products)],
                    location=location,
                    lot_number=f"LOT{i:06d}",
                    expiry=date(2030, 1, 1),
                    received_ml=100000,
                    on_hand_ml=100000,
                )
                for i in range(args.lots)
            ),
            batch_size=5000,
        )
        patient_ids = list(Patient.objects.values_list("id", flat=True))
        lot_ids = list(ProductLot.objects.values_list("id", flat=True))
        base = datetime(2023, 1, 1, 9, tzinfo=UTC)
        with connection.cursor() as cursor:
            raw = cursor.cursor
            _copy(
                raw,
                TreatmentSession._meta.db_table,
                [
                    "id",
                    "organization_id",
                    "patient_id",
                    "practitioner_id",
                    "location_id",
                    "started_at",
                    "signed_at",
                    "signed_by_id",
                    "notes",
                    "created_by_id",
                    "updated_at",
                ],  # fmt: skip
                (
                    (
                        s + 1,
                        org.pk,
                        patient_ids[s % len(patient_ids)],
                        member.pk,
                        location.pk,
                        base + timedelta(minutes=30 * s),
                        base + timedelta(minutes=30 * s + 20),
                        user.pk,
                        "",
                        user.pk,
                        base,
                    )  # fmt: skip
                    for s in range(n_sessions)
                ),
            )
            _copy(
                raw,
                InjectionRecord._meta.db_table,
                [
                    "id",
                    "organization_id",
                    "session_id",
                    "n",
                    "zone_code",
                    "technique",
                    "depth_mm",
                    "points",
                    "total_volume_ml",
                    "needle_kind",
                    "out_of_range_reason",
                    "safety_override_reason",
                    "safety_findings",
                    "created_at",
                    "created_by_id",
                ],  # fmt: skip
                (
                    (
                        i + 1,
                        org.pk,
                        i // INJECTIONS_PER_SESSION + 1,
                        i % INJECTIONS_PER_SESSION + 1,
                        rng.choice(zones),
                        "nappage",
                        "2",
                        20,
                        "2",
                        "needle",
                        "",
                        "",
                        "[]",
                        base,
                        user.pk,
                    )  # fmt: skip
                    for i in range(min(n_injections, n_sessions * INJECTIONS_PER_SESSION))
                ),
            )
            n_injections = min(n_injections, n_sessions * INJECTIONS_PER_SESSION)
            _copy(
                raw,
                CocktailComponent._meta.db_table,
                ["id", "organization_id", "injection_id", "lot_id", "volume_ml"],
                ((i + 1, org.pk, i + 1, rng.choice(lot_ids), "2") for i in range(n_injections)),
            )
            for model in (TreatmentSession, InjectionRecord, CocktailComponent):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            cursor.execute("ANALYZE")
        load_s = time.perf_counter() - started
        print(
            f"loaded {n_patients:,} patients, {n_sessions:,} sessions, {n_injections:,} "
            f"injections, {n_injections:,} components across {len(lot_ids):,} lots "
            f"in {load_s:.1f} s"
        )

        _measure(args, lot_ids, rng, count_runs=max(10, args.queries // 10))


def _measure(
    args: argparse.Namespace, lot_ids: list[int], rng: random.Random, count_runs: int
) -> None:
    """Time the recall query of random lots beside a full count of the components."""
    from django.db import connection

    from mesocare.charting.models import CocktailComponent
    from mesocare.inventory.services.recall import recipients_query

    sample = [rng.choice(lot_ids) for _ in range(args.queries + 20)]
    rows_seen: list[int] = []

    def recall(i: int) -> None:
        rows_seen.append(len(list(recipients_query(sample[i]))))  # type: ignore[call-overload]

    def count(_i: int) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {CocktailComponent._meta.db_table}")
            cursor.fetchone()

    recall_ms = timings_ms(recall, args.queries, warmup=20)
    count_ms = timings_ms(count, count_runs, warmup=1)
    print(summary("recall recipients of one lot", recall_ms))
    print(summary("full count of components", count_ms))
    print(f"rows per recall: mean {sum(rows_seen) / len(rows_seen):.0f}, max {max(rows_seen)}")
    print(
        f"recall p95 / count p50 = {p(recall_ms, 95) / p(count_ms, 50):.3f}  "
        f"(target: recall p95 <= 50 ms; "
        f"{'met' if p(recall_ms, 95) <= 50 else 'NOT met'} on this machine)"
    )
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + str(recipients_query(sample[0]).query))  # type: ignore[attr-defined]
        plan = [row[0] for row in cursor.fetchall()]
    print("plan:", " | ".join(line.strip() for line in plan[:6]))


if __name__ == "__main__":
    main()
