from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from mesocare.clinics.distribution import GLOBAL_TABLES, REFERENCE, describe
from mesocare.core.distribution import distribution_plan, violations


class Command(BaseCommand):
    help = (
        "Print the Citus statements that distribute this PostgreSQL schema by organization: "
        "reference tables first, then every tenant table colocated (a table that "
        "breaks the rules: named, and the command fails)."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError("Distribution is for PostgreSQL (Citus); this is SQLite.")
        schema = describe(connection)
        reference = [t for t, (place, _why) in GLOBAL_TABLES.items() if place == REFERENCE]
        for statement in distribution_plan(schema, reference):
            self.stdout.write(statement)
        breaks = violations(schema)
        if breaks:  # Citus refuses these tables until they follow the rules
            raise CommandError("Tables that cannot be distributed yet:\n" + "\n".join(breaks))
