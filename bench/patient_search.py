"""Patient search at scale: GET /api/v1/patients?q=<prefix>.

Prints p50/p95 of the search beside p50/p95 of a trivial endpoint (GET /api/v1/me) measured
in the same process and run, and their ratio. Target: search p95 <= 25 ms on PostgreSQL at
1,000,000 patients.

By default it builds a throw-away clinic of 100,000 patients. With --database-url it reads an
existing seeded chain (`mesocare seed --scale 1000000`) and searches its largest organization
as a receptionist there; what the run writes (audit events, a token) is rolled back.

    python bench/patient_search.py [--patients 100000] [--queries 300] [--sqlite]
    python bench/patient_search.py --database-url postgres://…/mesocare_scale_1m
"""

from __future__ import annotations

import argparse
import random
from contextlib import AbstractContextManager
from typing import Any

from _harness import p, summary, throwaway_database, timings_ms
from _scale import existing_database, largest_organization

PREFIXES = ["ros", "giu", "mar", "de l", "smi", "mül", "zoe", "chi", "gar", "lop", "fer",
            "bru", "con", "ric", "ale", "mia", "emm", "luc", "sof", "nun"]  # fmt: skip


def _clinic(args: argparse.Namespace, vendor: str) -> tuple[Any, str]:
    """(membership searching, description): the largest organization of a seeded chain, or a
    throw-away clinic of --patients synthetic patients."""
    from mesocare.accounts.models import User
    from mesocare.clinics.models import Membership, Organization
    from mesocare.patients.models import Patient

    if args.database_url:
        org_id, name, count = largest_organization()
        membership = (
            Membership.objects.filter(organization_id=org_id, role="reception", is_active=True)
            .order_by("id")
            .first()
        )
        if membership is None:
            raise SystemExit(f"No receptionist in {name}")
        total = Patient.objects.count()
        return membership, f"{count:,} patients in {name} ({total:,} in the database)"
    from mesocare.demo.management.commands.seed_patients import seed_patients

    org = Organization.objects.create(name="Bench clinic", slug="bench")
    user = User.objects.create_user("bench@example.org", "bench-password")
    membership = Membership.objects.create(user=user, organization=org, role="reception")
    seed_patients(org, args.patients)
    if vendor == "postgresql":
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE patients_patient")
    return membership, f"{args.patients:,} patients"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--sqlite", action="store_true", help="force SQLite")
    parser.add_argument(
        "--database-url", help="an existing seeded chain to read (mesocare seed --scale N)"
    )
    args = parser.parse_args()

    database: AbstractContextManager[str] = (
        existing_database(args.database_url)
        if args.database_url
        else throwaway_database("mesocare_bench_search", use_pg=False if args.sqlite else None)
    )
    with database as vendor:
        from django.test import Client

        from mesocare.accounts.models import ApiToken

        membership, described = _clinic(args, vendor)
        _token, raw = ApiToken.issue(membership)
        client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}")
        rng = random.Random(7)
        queries = [rng.choice(PREFIXES) for _ in range(args.queries)]

        def search(i: int) -> None:
            response = client.get("/api/v1/patients", {"q": queries[i % len(queries)], "limit": 25})
            assert response.status_code == 200

        def trivial(i: int) -> None:
            assert client.get("/api/v1/me").status_code == 200

        search_ms = timings_ms(search, args.queries)
        trivial_ms = timings_ms(trivial, args.queries)
        print(f"database: {vendor}, {described}, queries: {args.queries}")
        print(summary("GET /api/v1/patients?q=<prefix>", search_ms))
        print(summary("GET /api/v1/me (reference)", trivial_ms))
        print(
            f"ratio search/reference: p50 {p(search_ms, 50) / p(trivial_ms, 50):.2f}x, "
            f"p95 {p(search_ms, 95) / p(trivial_ms, 95):.2f}x"
        )
        met = "met" if p(search_ms, 95) <= 25 else "NOT met"
        print(
            f"target: search p95 <= 25 ms on PostgreSQL -> measured {p(search_ms, 95):.2f} ms "
            f"({met} on this machine)"
        )


if __name__ == "__main__":
    main()
