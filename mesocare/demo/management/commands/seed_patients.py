from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import Progress

from mesocare.clinics.models import Organization
from mesocare.demo.names import FAMILY, GIVEN_FEMALE, GIVEN_MALE
from mesocare.lib.text import digits_only, family_tail, normalize_search
from mesocare.patients.models import Patient

BATCH = 5000


class Command(BaseCommand):
    help = "Add N synthetic patients to an organization, in batches (for load tests and benches)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--patients", type=int, required=True)
        parser.add_argument("--org", default="demo", help="organization slug")
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args: Any, patients: int, org: str, seed: int, **options: Any) -> None:
        organization = Organization.objects.filter(slug=org).first()
        if organization is None:
            raise CommandError(f"No organization {org!r}; run `mesocare demo --no-serve` first.")
        if patients < 1:
            raise CommandError("--patients must be at least 1")
        seed_patients(organization, patients, seed)
        self.stdout.write(f"Added {patients} synthetic patients to {organization.name}.")


def seed_patients(organization: Organization, count: int, seed: int = 1) -> None:
    """Bulk insert: synthetic rows, not clinical events, so no per-row service or audit."""
    rng = random.Random(seed)
    today = dt.date.today()
    with Progress() as progress:
        task = progress.add_task("Seeding patients", total=count)
        done = 0
        while done < count:
            batch = []
            for _ in range(min(BATCH, count - done)):
                female = rng.random() < 0.8
                given = rng.choice(GIVEN_FEMALE if female else GIVEN_MALE)
                family = rng.choice(FAMILY) + ("" if rng.random() < 0.5 else rng.choice(FAMILY)[:3])
                phone = f"+39 3{rng.randint(10, 99)} {rng.randint(1000000, 9999999)}"
                batch.append(
                    Patient(
                        organization=organization,
                        given_name=given,
                        family_name=family,
                        given_norm=normalize_search(given),
                        family_norm=normalize_search(family),
                        family_tail=family_tail(normalize_search(family)),
                        birth_date=today - dt.timedelta(days=rng.randint(18 * 365, 80 * 365)),
                        sex_at_birth="female" if female else "male",
                        phone=phone,
                        phone_digits=digits_only(phone),
                    )
                )
            Patient.objects.bulk_create(batch, batch_size=1000)
            done += len(batch)
            progress.update(task, advance=len(batch))
