"""The patient's audit tab and the staff audit log on a partitioned audit log of N events.

Fills a throw-away PostgreSQL database with N audit events (default 1,000,000; the full run is
`--events 40000000`) over the last 36 months, across 20 organizations and N/40 patients (about
40 events a patient), with COPY (secondary indexes are dropped during the load and rebuilt,
as partitioned indexes, before anything is measured). Then, in process with the test Client:
the per-patient audit tab (the staff view) p50/p95, beside `GET /api/v1/me` in the same run,
and the staff audit log page with each of its filters. Target: audit tab p95 <= 50 ms at 40M.

    python bench/audit_tab.py [--events 1000000] [--requests 100] [--log-requests 20]
        [--db-name NAME] [--explain]

With `--database-url`, the same measurements on a chain seeded with `mesocare seed --scale N`
(about 40 audit events a patient: 40,000,000 at a million patients), as the administrator of
its largest organization; what the run writes is rolled back.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import re
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from _harness import _pg_reachable, p, summary, throwaway_database, timings_ms
from _scale import existing_database, largest_organization

ORGS = 20
MONTHS = 36
USERS_PER_ORG = 8
EVENTS_PER_PATIENT = 40
TARGET_MS = 50.0
# (action, object type, weight): mostly reads of records, as a clinic's log is.
MIX = [
    ("read", "patients.patient", 50),
    ("read", "charting.treatmentsession", 12),
    ("update", "patients.patient", 6),
    ("create", "scheduling.appointment", 8),
    ("update", "scheduling.appointment", 6),
    ("create", "charting.injectionrecord", 6),
    ("login", "accounts.user", 5),
    ("export", "reports.recall", 1),
    ("override", "safety.safetycheck", 1),
    ("refused", "patients.patient", 2),
    ("delete", "scheduling.appointment", 3),
]
BLOCK = 100_000
COLUMNS = (
    "organization_id", "actor_id", "actor_label", "action", "object_type", "object_id",
    "patient_id", "patient_ids", "summary", "changes", "reason", "ip", "channel", "at",
)  # fmt: skip


def _secondary_indexes(cursor) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    cursor.execute(
        "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'audit_auditevent' "
        "AND indexname <> 'audit_auditevent_pkey'"
    )
    return cursor.fetchall()


def _lines(
    n_events: int,
    start: dt.datetime,
    end: dt.datetime,
    org_ids: list[int],
    users: dict[int, list[tuple[int, str]]],
    patients: dict[int, list[int]],
) -> Iterator[bytes]:
    """COPY text rows, oldest first, in blocks (numpy draws the random columns)."""
    import numpy as np

    rng = np.random.default_rng(20)
    actions = [(a, t) for a, t, w in MIX for _ in range(w)]
    action_text = [f"{a}\t{t}" for a, t in actions]
    summary_text = [f"{a} {t}" for a, t in actions]
    is_login = [a == "login" for a, _t in actions]
    actor_text = [[f"{uid}\t{label}" for uid, label in users[o]] for o in org_ids]
    actor_ids = [[uid for uid, _label in users[o]] for o in org_ids]
    patient_ids = [patients[o] for o in org_ids]
    per_org = min(len(p) for p in patient_ids)
    first = start.timestamp()
    step = (end.timestamp() - first) / n_events
    for low in range(0, n_events, BLOCK):
        n = min(BLOCK, n_events - low)
        seconds = first + (np.arange(low, low + n) + rng.random(n)) * step
        ats = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s").tolist()
        orgs = rng.integers(0, len(org_ids), n).tolist()
        actors = rng.integers(0, USERS_PER_ORG, n).tolist()
        acts = rng.integers(0, len(actions), n).tolist()
        pats = rng.integers(0, per_org, n).tolist()
        objects = rng.integers(1, 10_000_000, n).tolist()
        out = []
        for j in range(n):
            o, a, act = orgs[j], actors[j], acts[j]
            if is_login[act]:
                patient, object_id, ids = "\\N", actor_ids[o][a], "[]"
            else:
                pid = patient_ids[o][pats[j]]
                patient, object_id, ids = pid, objects[j], f"[{pid}]"
            out.append(
                f"{org_ids[o]}\t{actor_text[o][a]}\t{action_text[act]}\t{object_id}\t"
                f"{patient}\t{ids}\t{summary_text[act]}\t{{}}\t\t10.0.{o}.{a + 1}\tweb\t"
                f"{ats[j]}+00\n"
            )
        yield "".join(out).encode()


def fill(
    n_events: int,
    org_ids: list[int],
    users: dict[int, list[tuple[int, str]]],
    patients: dict[int, list[int]],
    now: dt.datetime,
) -> tuple[float, float]:
    """COPY n_events audit events, oldest first, spread over the last MONTHS months, then
    rebuild the secondary indexes; returns (seconds copying, seconds indexing)."""
    from django.db import connection

    from mesocare.audit.partitions import ensure_months
    from mesocare.core.months import Month

    start = Month.of(now).plus(-MONTHS + 1).start_utc()
    ensure_months(Month.of(start).until(Month.of(now).plus(1)))
    began = time.perf_counter()
    with connection.cursor() as cursor:
        indexes = _secondary_indexes(cursor)
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    connection.ensure_connection()
    raw = connection.connection  # psycopg, in autocommit: the COPY commits as it ends
    with raw.cursor() as cur:
        # The rows are made to satisfy the foreign keys: no per-row checks during the load.
        cur.execute("SET session_replication_role = replica")
    copied = 0
    copy_sql = f"COPY audit_auditevent ({', '.join(COLUMNS)}) FROM STDIN"
    with raw.cursor() as cur, cur.copy(copy_sql) as copy:
        for block in _lines(n_events, start, now, org_ids, users, patients):
            copy.write(block)
            copied += BLOCK
            if copied % 2_000_000 == 0:
                rate = copied / (time.perf_counter() - began)
                print(f"  {copied:>11,} events copied ({rate:,.0f}/s)", file=sys.stderr, flush=True)
    copy_seconds = time.perf_counter() - began
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("SET maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition.replace(" ON ONLY ", " ON "))
        cursor.execute("VACUUM ANALYZE audit_auditevent")
    return copy_seconds, time.perf_counter() - began - copy_seconds


def _db_ms(response: Any) -> float:
    """The database time the server measured (its Server-Timing header)."""
    match = re.search(r"db;dur=([0-9.]+)", response.get("Server-Timing", ""))
    return float(match[1]) if match else 0.0


def _explain(queries: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for sql in queries:
            if "audit_auditevent" not in sql:
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, SUMMARY) {sql}")
            plan = [row[0] for row in cursor.fetchall()]
            print(f"-- {sql[:160]}\n   " + "\n   ".join(plan[:6] + ["..."] + plan[-2:]))


@dataclass
class Subjects:
    membership: Any
    patients: list[int]
    actor: int
    other_actor: int
    object_type: str
    events: int


def _throwaway(args: argparse.Namespace) -> Subjects:
    """Organizations, staff and patients in the throw-away database, then the COPY-filled
    audit log; returns what to measure."""
    from django.db import connection
    from django.utils import timezone

    from mesocare.accounts.models import User
    from mesocare.clinics.models import Location, Membership, Organization
    from mesocare.demo.management.commands.seed_patients import seed_patients
    from mesocare.patients.models import Patient

    orgs = [
        Organization.objects.create(name=f"Clinic {i}", slug=f"clinic-{i}") for i in range(ORGS)
    ]
    org = orgs[0]
    Location.objects.create(organization=org, name="Main", timezone="Europe/Rome")
    users: dict[int, list[tuple[int, str]]] = {}
    for o in orgs:
        made = User.objects.bulk_create(
            User(email=f"staff{k}@{o.slug}.test", full_name=f"Staff {k}")
            for k in range(USERS_PER_ORG)
        )
        users[o.pk] = [(u.pk, u.email) for u in made]
    admin = User.objects.get(email=f"staff0@{org.slug}.test")
    membership = Membership.objects.create(user=admin, organization=org, role="admin")
    per_org = max(1, args.events // EVENTS_PER_PATIENT // ORGS)
    seed_patients(org, per_org)
    real = list(Patient.objects.filter(organization=org).values_list("pk", flat=True))
    # Other organizations' patients are numbers only (patient_id carries no foreign key).
    patients = {o.pk: [10_000_000 + o.pk * 1_000_000 + k for k in range(per_org)] for o in orgs}
    patients[org.pk] = real
    copy_s, index_s = fill(args.events, [o.pk for o in orgs], users, patients, timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), pg_size_pretty(sum(pg_total_relation_size(inhrelid))) "
            "FROM pg_inherits WHERE inhparent = 'audit_auditevent'::regclass"
        )
        n_partitions, size = cursor.fetchone()
    print(
        f"loaded {args.events:,} events with COPY in {copy_s:.0f} s "
        f"({args.events / copy_s:,.0f}/s), indexes rebuilt in {index_s:.0f} s, "
        f"{n_partitions} partitions, {size}; {ORGS} organizations, "
        f"{per_org:,} patients each"
    )
    actors = [uid for uid, _label in users[org.pk]]
    return Subjects(membership, real, actors[3], actors[5], "charting.injectionrecord", args.events)


def _seeded() -> Subjects:
    """The largest organization of a chain seeded with `mesocare seed --scale N`: its
    administrator, its patients, two of its staff; the audit log as the seeder made it."""
    from django.db import connection

    from mesocare.clinics.models import Membership
    from mesocare.patients.models import Patient

    org_id, name, n_patients = largest_organization()
    membership = Membership.objects.filter(organization_id=org_id, role="admin").first()
    if membership is None:
        raise SystemExit(f"No administrator in {name}: is this a seeded chain?")
    staff = list(
        Membership.objects.filter(organization_id=org_id)
        .exclude(role="admin")
        .order_by("pk")
        .values_list("user_id", flat=True)
    )
    real = list(Patient.objects.filter(organization_id=org_id).values_list("pk", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), sum(c.reltuples)::bigint, "
            "pg_size_pretty(sum(pg_total_relation_size(i.inhrelid))) FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'audit_auditevent'::regclass"
        )
        n_partitions, events, size = cursor.fetchone()
    print(
        f"seeded chain: about {events:,} audit events in {n_partitions} partitions, {size}; "
        f"largest organization {name}: {n_patients:,} patients"
    )
    return Subjects(membership, real, staff[0], staff[-1], "charting.treatmentsession", events)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=100, help="audit tab requests")
    parser.add_argument("--log-requests", type=int, default=20, help="per audit log filter")
    parser.add_argument("--db-name", default="mesocare_bench_audit_tab")
    parser.add_argument(
        "--database-url", help="an existing seeded chain (read; what the run writes is undone)"
    )
    parser.add_argument("--explain", action="store_true", help="print the tab's audit plans")
    args = parser.parse_args()
    if args.database_url:
        with existing_database(args.database_url) as vendor:
            if vendor != "postgresql":
                raise SystemExit("audit_tab: the seeded chain must be on PostgreSQL")
            measure(args, _seeded())
        return
    if not _pg_reachable():
        print("audit_tab: needs PostgreSQL (partitioning, COPY); none reachable, skipped")
        return
    with throwaway_database(args.db_name, use_pg=True):
        measure(args, _throwaway(args))


def measure(args: argparse.Namespace, subjects: Subjects) -> None:
    """The audit tab of sampled patients beside `GET /api/v1/me`, then the audit log page
    with each filter, as the organization's administrator."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from mesocare.accounts.models import ApiToken

    membership, real = subjects.membership, subjects.patients
    web = Client()
    web.force_login(membership.user)
    _token, raw = ApiToken.issue(membership)
    api = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
    rng = random.Random(7)
    sample = [rng.choice(real) for _ in range(args.requests)]

    db_ms: list[float] = []

    def tab(i: int) -> None:
        response = web.get(f"/patients/{sample[i % len(sample)]}/audit")
        assert response.status_code == 200, response.status_code
        db_ms.append(_db_ms(response))

    def me(i: int) -> None:
        assert api.get("/api/v1/me").status_code == 200

    with CaptureQueriesContext(connection) as queries:
        tab(0)
    tab_queries = [q["sql"] for q in queries.captured_queries]
    if args.explain:
        _explain(tab_queries)
    tab_ms = timings_ms(tab, args.requests)
    tab_db_ms = db_ms[-args.requests :]
    me_ms = timings_ms(me, args.requests)
    print(f"database: postgresql, events: {subjects.events:,}, requests: {args.requests}")
    print(summary("patient audit tab", tab_ms) + f"   {len(tab_queries)} queries")
    print(summary("  of which database time", tab_db_ms))
    print(summary("GET /api/v1/me (reference)", me_ms))
    print(
        f"ratio tab/reference: p50 {p(tab_ms, 50) / p(me_ms, 50):.2f}x, "
        f"p95 {p(tab_ms, 95) / p(me_ms, 95):.2f}x"
    )

    today = timezone.localdate()
    week = {"date_from": str(today - dt.timedelta(days=7)), "date_to": str(today)}
    filters = {
        "no filter": {},
        "patient": {"patient": str(real[0])},
        "who": {"actor": str(subjects.actor)},
        "action=override": {"action": "override"},
        "action=read": {"action": "read"},
        "object type": {"object_type": subjects.object_type},
        "last 7 days": week,
        "who + last 7 days": {**week, "actor": str(subjects.other_actor)},
    }
    log_p95 = {}
    for label, params in filters.items():

        def log(i: int, params: dict[str, str] = params) -> None:
            response = web.get("/audit", params)
            assert response.status_code == 200, response.status_code
            db_ms.append(_db_ms(response))

        with CaptureQueriesContext(connection) as queries:
            log(0)
        n_queries = len(queries.captured_queries)
        ms = timings_ms(log, args.log_requests, warmup=3)
        log_p95[label] = p(ms, 95)
        print(
            summary(f"audit log: {label}", ms)
            + f"   {n_queries} queries, db p95 {p(db_ms[-args.log_requests :], 95):.1f} ms"
        )

    tab_p95 = p(tab_ms, 95)
    verdict = "met" if tab_p95 <= TARGET_MS else "NOT met"
    print(
        f"target: audit tab p95 <= {TARGET_MS:.0f} ms at 40,000,000 events -> measured "
        f"{tab_p95:.2f} ms at {subjects.events:,} events: {verdict}"
        + ("" if subjects.events >= 40_000_000 else " (quick run; the target is for 40M)")
    )
    slow = [k for k, v in log_p95.items() if v > TARGET_MS]
    print(
        f"staff audit log p95 <= {TARGET_MS:.0f} ms: "
        + ("met for every filter" if not slow else f"NOT met for {', '.join(slow)}")
    )


if __name__ == "__main__":
    main()
