"""Prefix search on normalised names must use an index on PostgreSQL too: LIKE 'abc%' needs
the pattern operator class there unless the database collation is C."""

from django.db import migrations

INDEXES = {
    "patient_family_pattern": "family_norm",
    "patient_given_pattern": "given_norm",
    "patient_family_tail_pattern": "family_tail",
    "patient_phone_pattern": "phone_digits",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES.items():
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON patients_patient "
            f"(organization_id, {column} varchar_pattern_ops)"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]
