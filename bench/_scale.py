"""Benchmarks against an existing seeded chain (`mesocare seed --scale N`) instead of a
throw-away database: Django configured on it, every write of the run rolled back."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def existing_database(url: str) -> Iterator[str]:
    """Configure Django on the database at `url`; yields the vendor. The run happens in one
    transaction that is rolled back, so what it writes (audit events of the reads, an API
    token) never reaches a shared data set."""
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("MESOCARE_VAR_DIR", tempfile.mkdtemp(prefix="bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mesocare.settings")
    import django

    django.setup()
    from django.db import connection, transaction

    with transaction.atomic():
        yield connection.vendor
        transaction.set_rollback(True)


def largest_organization() -> tuple[int, str, int]:
    """(id, name, patients) of the organization with the most patients."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.organization_id, o.name, count(*) FROM patients_patient p "
            "JOIN clinics_organization o ON o.id = p.organization_id "
            "GROUP BY 1, 2 ORDER BY 3 DESC LIMIT 1"
        )
        row = cursor.fetchone()
    if row is None:
        raise SystemExit("No patients in that database: seed it with `mesocare seed --scale N`.")
    return int(row[0]), str(row[1]), int(row[2])
