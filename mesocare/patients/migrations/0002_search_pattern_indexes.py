"""Patient search keys compare byte-wise on PostgreSQL too.

The normalised search columns hold only [a-z0-9 ]. With the C collation a prefix search is an
index range (`>= 'ros' AND < 'rot'`) on the same b-tree that serves ORDER BY, on PostgreSQL as on
SQLite (whose default collation is already binary). Django does not model column collations per
database vendor, so this runs only on PostgreSQL."""

from django.db import migrations

COLUMNS = {"given_norm": 100, "family_norm": 100, "family_tail": 100, "phone_digits": 40}


def to_c(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column, length in COLUMNS.items():
        schema_editor.execute(
            f'ALTER TABLE patients_patient ALTER COLUMN {column} TYPE varchar({length}) COLLATE "C"'
        )


def to_default(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for column, length in COLUMNS.items():
        schema_editor.execute(
            f'ALTER TABLE patients_patient ALTER COLUMN {column} TYPE varchar({length}) '
            'COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("patients", "0001_initial")]
    operations = [migrations.RunPython(to_c, to_default)]
