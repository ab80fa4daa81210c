"""Recall traceback at scale: every recipient of one lot among 1,000,000 injection components
across 10,000 lots, on PostgreSQL.

Builds a throw-away database (created and dropped by the script), bulk-loads sessions,
injections and components with COPY (each session draws its injections from two lots, as a
protocol's products alternate), VACUUM ANALYZEs them as autovacuum would, then traces random
lots with `mesocare.inventory.services.recall.recipients` (the lot's components from the index
`component_lot_recipients` alone, then each of their sessions once with its patient),
alternating with the former single join (component → injection → session → patient, zone, one
row at a time) as the reference, both turned into the same `Recipient` rows; beside a
full-table count of the components. It prints p50/p95 of each, the shared buffers (pages) a
trace reads, from EXPLAIN (ANALYZE, BUFFERS), and the plans. Target: recall p95 <= 50 ms at
20,000,000 components. Never asserts wall-clock.

With --database-url it reads an existing seeded chain instead (`mesocare seed --scale
1000000`: about 20 components per patient, one lot per product, location and month) and
traces random lots of it; nothing is written.

    python bench/recall_trace.py [--components 1000000] [--lots 10000] [--queries 200]
    python bench/recall_trace.py --database-url postgres://…/mesocare_scale_1m
"""

from __future__ import annotations

import argparse
import json
import random
import time
from datetime import UTC, date, datetime, timedelta

from _harness import p, summary, throwaway_database
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
        "--seed", type=int, default=20240601, help="which lots (another seed: lots not cached)"
    )
    parser.add_argument(
        "--database-url", help="an existing seeded chain to read (mesocare seed --scale N)"
    )
    args = parser.parse_args()
    rng = random.Random(args.seed)
    if args.database_url:
        with existing_database(args.database_url):
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT organization_id, id FROM inventory_productlot l WHERE EXISTS "
                    "(SELECT 1 FROM charting_cocktailcomponent c WHERE c.lot_id = l.id)"
                )
                lots = [(row[0], row[1]) for row in cursor.fetchall()]
                cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                               ["charting_cocktailcomponent"])  # fmt: skip
                estimate = cursor.fetchone()[0]
            print(f"existing chain: about {estimate:,} components across {len(lots):,} used lots")
            _measure(args, lots, rng, count_runs=5)
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
            n_injections = min(n_injections, n_sessions * INJECTIONS_PER_SESSION)
            zone_of = [rng.choice(zones) for _ in range(n_injections)]
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
                        zone_of[i],
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
                    for i in range(n_injections)
                ),
            )
            session_lots = [(rng.choice(lot_ids), rng.choice(lot_ids)) for _ in range(n_sessions)]
            _copy(
                raw,
                CocktailComponent._meta.db_table,
                ["id", "organization_id", "injection_id", "lot_id", "volume_ml", "session_id",
                 "injection_n", "zone_code"],
                (
                    (i + 1, org.pk, i + 1,
                     session_lots[i // INJECTIONS_PER_SESSION][i % INJECTIONS_PER_SESSION % 2],
                     "2", i // INJECTIONS_PER_SESSION + 1, i % INJECTIONS_PER_SESSION + 1,
                     zone_of[i])
                    for i in range(n_injections)
                ),
            )  # fmt: skip
            for model in (TreatmentSession, InjectionRecord, CocktailComponent):
                table = model._meta.db_table
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            for model in (TreatmentSession, InjectionRecord, CocktailComponent):
                # as autovacuum does to a clinic's tables: statistics, hint bits and the
                # visibility map that lets a scan read the index alone
                cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
            cursor.execute("ANALYZE")
        load_s = time.perf_counter() - started
        print(
            f"loaded {n_patients:,} patients, {n_sessions:,} sessions, {n_injections:,} "
            f"injections, {n_injections:,} components across {len(lot_ids):,} lots "
            f"in {load_s:.1f} s"
        )

        _measure(
            args, [(org.pk, lot) for lot in lot_ids], rng, count_runs=max(10, args.queries // 10)
        )


FORMER_JOIN = """
SELECT s.patient_id, p.given_name, p.family_name, p.birth_date, p.phone, p.email, i.session_id,
       s.started_at, s.signed_at, i.n, i.zone_code, z.name, c.volume_ml
FROM charting_cocktailcomponent c
JOIN charting_injectionrecord i ON c.injection_id = i.id
JOIN charting_treatmentsession s ON i.session_id = s.id
JOIN patients_patient p ON s.patient_id = p.id
JOIN catalog_zone z ON i.zone_code = z.code
WHERE c.lot_id = %s
ORDER BY s.started_at, i.session_id, i.n"""


def _former_join(lot_id: int) -> list[object]:
    """The reference: the trace as one join read row by row (the query before the
    component carried its injection's session, number and zone), into the same rows."""
    from django.db import connection

    from mesocare.inventory.services.recall import Recipient

    with connection.cursor() as cursor:
        cursor.execute(FORMER_JOIN, [lot_id])
        return [
            Recipient(
                patient_id=pid, patient_name=f"{given} {family}", birth_date=birth.isoformat(),
                phone=phone, email=email, session_id=sid, session_at=started,
                signed=signed is not None, injection_n=n, zone=zone, zone_name=zone_name,
                volume_ml=volume,
            )
            for (pid, given, family, birth, phone, email, sid, started, signed, n, zone,
                 zone_name, volume) in cursor.fetchall()
        ]  # fmt: skip


def _explain(sql: str, params: object) -> dict[str, object]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    return (plan if isinstance(plan, list) else json.loads(plan))[0]  # type: ignore[no-any-return]


def _pages(plan: dict[str, object]) -> int:
    top = plan["Plan"]
    return int(top["Shared Hit Blocks"]) + int(top["Shared Read Blocks"])  # type: ignore[index]


def _lines(node: dict[str, object], depth: int = 0) -> list[str]:
    """A plan as indented lines: node, relation or index, rows, loops, pages."""
    name = str(node["Node Type"])
    on = node.get("Index Name") or node.get("Relation Name")
    pages = int(node["Shared Hit Blocks"]) + int(node["Shared Read Blocks"])  # type: ignore[call-overload]
    line = f"{'  ' * depth}{name}{f' on {on}' if on else ''}: rows {node['Actual Rows']} x loops "
    line += f"{node['Actual Loops']}, {pages} pages"
    if "Heap Fetches" in node:
        line += f", heap fetches {node['Heap Fetches']}"
    out = [line]
    for child in node.get("Plans", []):  # type: ignore[attr-defined]
        out.extend(_lines(child, depth + 1))
    return out


def _measure(
    args: argparse.Namespace, lots: list[tuple[int, int]], rng: random.Random, count_runs: int
) -> None:
    """Time the trace of random lots, alternating with the former join, beside a full count
    of the components; then the pages each reads and their plans."""
    from django.db import connection

    from mesocare.charting.models import CocktailComponent
    from mesocare.inventory.services.recall import recipient_queries, recipients

    sample = [rng.choice(lots) for _ in range(args.queries + 20)]
    rows_seen: list[int] = []
    new_ms: list[float] = []
    old_ms: list[float] = []
    for i, (org_id, lot_id) in enumerate(sample):
        order = ("new", "old") if i % 2 == 0 else ("old", "new")  # new, old, old, new, …
        for name in order:
            started = time.perf_counter()
            found = recipients(org_id, lot_id) if name == "new" else _former_join(lot_id)
            elapsed = (time.perf_counter() - started) * 1000
            if i >= 20:  # the first twenty warm up
                (new_ms if name == "new" else old_ms).append(elapsed)
                if name == "new":
                    rows_seen.append(len(found))

    count_ms = []
    for i in range(count_runs + 1):
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {CocktailComponent._meta.db_table}")
            cursor.fetchone()
        if i:
            count_ms.append((time.perf_counter() - started) * 1000)

    print(summary("recall recipients of one lot", new_ms))
    print(summary("  reference: the former join", old_ms))
    print(summary("full count of components", count_ms))
    print(f"rows per recall: mean {sum(rows_seen) / len(rows_seen):.0f}, max {max(rows_seen)}")
    print(
        f"recall p95 / count p50 = {p(new_ms, 95) / p(count_ms, 50):.3f}; "
        f"recall p95 / former join p95 = {p(new_ms, 95) / p(old_ms, 95):.3f}  "
        f"(target: recall p95 <= 50 ms; "
        f"{'met' if p(new_ms, 95) <= 50 else 'NOT met'} on this machine)"
    )

    new_pages, old_pages, plans = [], [], None
    for org_id, lot_id in sample[20 : 20 + min(args.queries, 100)]:
        parts, sessions = recipient_queries(org_id, lot_id)
        planned = [_explain(*q.query.sql_with_params()) for q in (parts, sessions)]
        new_pages.append(sum(_pages(plan) for plan in planned))
        former = _explain(FORMER_JOIN, [lot_id])
        old_pages.append(_pages(former))
        plans = plans or (planned, former)
    print(
        f"shared buffers (pages) per recall, EXPLAIN (ANALYZE, BUFFERS), n={len(new_pages)}: "
        f"mean {sum(new_pages) / len(new_pages):.0f}, p95 {p(new_pages, 95):.0f}; "
        f"the former join: mean {sum(old_pages) / len(old_pages):.0f}, "
        f"p95 {p(old_pages, 95):.0f}"
    )
    assert plans is not None
    for title, plan in (("components", plans[0][0]), ("sessions", plans[0][1])):
        print(f"plan ({title}):", " | ".join(_lines(plan["Plan"])))  # type: ignore[arg-type]
    print("plan (former join):", " | ".join(_lines(plans[1]["Plan"])))  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
