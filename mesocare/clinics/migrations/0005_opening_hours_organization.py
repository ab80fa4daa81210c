"""Opening hours carry their location's organization (the tables can be distributed by it)."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    OpeningHours = apps.get_model("clinics", "OpeningHours")
    Location = apps.get_model("clinics", "Location")
    org_of = models.Subquery(
        Location.objects.filter(pk=models.OuterRef("location_id")).values("organization_id")[:1]
    )
    OpeningHours.objects.update(organization_id=org_of)
    if schema_editor.connection.vendor == "postgresql":
        # Check the new keys now: a table with pending checks cannot be altered (NOT NULL).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


class Migration(migrations.Migration):
    dependencies = [("clinics", "0004_organization_legal_details")]

    operations = [
        migrations.AddField(
            model_name="openinghours",
            name="organization",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="clinics.organization",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="openinghours",
            name="organization",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="clinics.organization",
            ),
        ),
    ]
