from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from mesocare.demo.scale import SeedRefused, seed_chain


class Command(BaseCommand):
    help = (
        "Build a chain of clinics with N patients and their histories on PostgreSQL (COPY), "
        "for load tests and benchmarks. Use a fresh, migrated database."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", type=int, default=1_000_000, help="patients")
        parser.add_argument("--organizations", type=int, default=20)
        parser.add_argument("--locations", type=int, default=60)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--workers", type=int, default=2, help="generating processes")
        parser.add_argument("--prefix", default="chain", help="organization slug prefix")
        parser.add_argument("--no-progress", action="store_true")

    def handle(self, *args: Any, **o: Any) -> None:
        try:
            result = seed_chain(
                o["scale"],
                organizations=o["organizations"],
                locations=o["locations"],
                seed=o["seed"],
                workers=o["workers"],
                slug_prefix=o["prefix"],
                progress=not o["no_progress"],
                echo=self.stdout.write,
            )
        except SeedRefused as exc:
            raise CommandError(str(exc)) from None
        for table, count in result.rows.items():
            self.stdout.write(f"  {table:<28} {count:>13,}")
        self.stdout.write(
            f"Seeded {result.patients:,} patients in {result.organizations} organizations "
            f"({result.locations} locations, {result.staff} staff): {result.total_rows:,} rows "
            f"in {result.seconds:.0f} s (COPY {result.load_seconds:.0f} s, indexes "
            f"{result.index_seconds:.0f} s, {result.total_rows / max(result.seconds, 1e-9):,.0f} "
            f"rows/s overall)."
        )
        self.stdout.write(
            f"Staff sign in as owner@{result.org_slugs[0]}.chain.test (and practitioner1.l1@…, "
            f"desk.l1@…) with the password {result.password!r}."
        )
