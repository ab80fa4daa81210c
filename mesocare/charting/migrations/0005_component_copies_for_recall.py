"""A component carries its injection's session, number and zone (copies), and an index on
(lot, organization) that includes them with the volume: a lot's recall trace reads its rows
from that index alone instead of joining every row to its injection. The index replaces the
one on the lot alone (it leads with the lot; the lot's foreign key stays as it is).

Existing rows get their copies by UPDATE … FROM the injections in batches of injection ids,
each committed on its own. Rows written by a running older server meanwhile are filled under a
lock that holds writes back, in the transaction that makes the columns NOT NULL (on PostgreSQL
one ALTER, one scan of the table). Then the index is built (CREATE INDEX: writes to the table
wait for it). So the migration is not atomic; a run that stops resumes where it stopped when run
again: the columns and the index are added when missing, the batches fill only rows still
empty, NOT NULL on a column that has it changes nothing.

Self-contained on purpose: it does not import the app's models or services, which may change.
"""

import django.db.models.deletion
from django.db import migrations, models, transaction

TABLE = "charting_cocktailcomponent"
COPIES = ("session_id", "injection_n", "zone_code")
BATCH = 250_000  # injection ids per committed UPDATE

FILL = f"""
UPDATE {TABLE} c
SET session_id = i.session_id, injection_n = i.n, zone_code = i.zone_code
FROM charting_injectionrecord i
WHERE i.id = c.injection_id AND i.organization_id = c.organization_id
  AND c.session_id IS NULL"""

FILL_SQLITE = f"""
UPDATE {TABLE}
SET session_id = (SELECT i.session_id FROM charting_injectionrecord i
                  WHERE i.id = {TABLE}.injection_id),
    injection_n = (SELECT i.n FROM charting_injectionrecord i WHERE i.id = {TABLE}.injection_id),
    zone_code = (SELECT i.zone_code FROM charting_injectionrecord i
                 WHERE i.id = {TABLE}.injection_id)
WHERE session_id IS NULL"""


def fill_copies(apps, schema_editor):
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            cursor.execute(FILL_SQLITE)
            return
        cursor.execute(f"SELECT min(injection_id), max(injection_id) FROM {TABLE}")
        first, last = cursor.fetchone()
        if first is None:
            return
        for start in range(first, last + 1, BATCH):
            with transaction.atomic(using=connection.alias):
                cursor.execute(
                    FILL + " AND c.injection_id BETWEEN %s AND %s AND i.id BETWEEN %s AND %s",
                    [start, start + BATCH - 1, start, start + BATCH - 1],
                )


def not_null(apps, schema_editor):
    """PostgreSQL: fill what the batches could not see (rows written meanwhile) and make the
    columns NOT NULL in one transaction, under a lock that holds writes back, with one scan of
    the table; the AlterField operations after this then find them NOT NULL already and change
    nothing. SQLite: the fill only (AlterField rebuilds its table)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(FILL_SQLITE)
        return
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {TABLE} IN SHARE ROW EXCLUSIVE MODE")
        cursor.execute(FILL)
        cursor.execute(
            f"ALTER TABLE {TABLE} "
            + ", ".join(f"ALTER COLUMN {column} SET NOT NULL" for column in COPIES)
        )


def _lot_index(schema_editor):
    return schema_editor._create_index_name(TABLE, ["lot_id"])


def drop_lot_index(apps, schema_editor):
    """The index on the lot alone goes (the new one leads with the lot). Dropped by name, not
    by altering the field: altering it would drop and re-add its foreign key, which checks
    every row again."""
    name = schema_editor.quote_name(_lot_index(schema_editor))
    schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


def create_lot_index(apps, schema_editor):
    name = schema_editor.quote_name(_lot_index(schema_editor))
    schema_editor.execute(f"CREATE INDEX {name} ON {TABLE} (lot_id)")


class AddFieldIfMissing(migrations.AddField):
    """AddField that finds its column already there (a run stopped after it) and leaves it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        column = model._meta.get_field(self.name).column
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            present = {
                c.name for c in connection.introspection.get_table_description(cursor, TABLE)
            }
        if column not in present:
            super().database_forwards(app_label, schema_editor, from_state, to_state)


class AddIndexIfMissing(migrations.AddIndex):
    """AddIndex that finds its index already built (a run stopped after it) and leaves it."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        connection = schema_editor.connection
        with connection.cursor() as cursor:
            present = connection.introspection.get_constraints(cursor, TABLE)
        if self.index.name not in present:
            super().database_forwards(app_label, schema_editor, from_state, to_state)


def _copy(name, field):
    return AddFieldIfMissing(model_name="cocktailcomponent", name=name, field=field)


def _required(name, field):
    return migrations.AlterField(model_name="cocktailcomponent", name=name, field=field)


def _session(null):
    return models.ForeignKey(
        db_constraint=False,
        db_index=False,
        editable=False,
        null=null,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name="+",
        to="charting.treatmentsession",
    )


def _zone(null):
    return models.ForeignKey(
        db_column="zone_code",
        db_constraint=False,
        db_index=False,
        editable=False,
        null=null,
        on_delete=django.db.models.deletion.DO_NOTHING,
        related_name="+",
        to="catalog.zone",
        to_field="code",
    )


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("catalog", "0002_compounded_products_calendar_month_intervals"),
        ("charting", "0004_organization_in_unique_keys"),
        ("clinics", "0007_composite_tenant_keys"),
        ("inventory", "0002_organization_in_unique_keys"),
    ]

    operations = [
        _copy("session", _session(null=True)),
        _copy("injection_n", models.IntegerField(editable=False, null=True)),
        _copy("zone", _zone(null=True)),
        migrations.RunPython(fill_copies, migrations.RunPython.noop, elidable=False),
        migrations.RunPython(not_null, migrations.RunPython.noop, elidable=False),
        _required("session", _session(null=False)),
        _required("injection_n", models.IntegerField(editable=False)),
        _required("zone", _zone(null=False)),
        AddIndexIfMissing(
            model_name="cocktailcomponent",
            index=models.Index(
                fields=["lot", "organization"],
                include=("session", "injection_n", "zone", "volume_ml"),
                name="component_lot_recipients",
            ),
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.RunPython(drop_lot_index, create_lot_index, elidable=False)
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="cocktailcomponent",
                    name="lot",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="components",
                        to="inventory.productlot",
                    ),
                )
            ],
        ),
    ]
