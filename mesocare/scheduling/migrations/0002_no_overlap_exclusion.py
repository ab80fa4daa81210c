"""No two active appointments overlap for the same practitioner, room or patient (DESIGN §5).

On PostgreSQL the database enforces it with exclusion constraints over `tstzrange(start, end)`
(half-open, so back-to-back appointments do not overlap), partial on the active statuses, so
it holds under any concurrency. SQLite has no such constraint; there the booking service checks
inside a write transaction that `BEGIN IMMEDIATE` serializes.
"""

from django.db import migrations

ACTIVE = "('booked', 'checked_in', 'completed')"
CONSTRAINTS = {
    "appointment_practitioner_no_overlap": "practitioner_id",
    "appointment_room_no_overlap": "room_id",
    "appointment_patient_no_overlap": "patient_id",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS btree_gist")
    for name, column in CONSTRAINTS.items():
        schema_editor.execute(
            f"ALTER TABLE scheduling_appointment ADD CONSTRAINT {name} EXCLUDE USING gist "
            f'(organization_id WITH =, {column} WITH =, tstzrange(start, "end") WITH &&) '
            f"WHERE (status IN {ACTIVE})"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in CONSTRAINTS:
        schema_editor.execute(f"ALTER TABLE scheduling_appointment DROP CONSTRAINT IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
