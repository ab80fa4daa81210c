"""SMART access tokens and used assertions carry their client's organization (the tables can be
distributed by it)."""

import django.db.models.deletion
from django.db import migrations, models


def backfill(apps, schema_editor):
    SmartClient = apps.get_model("fhir_bulk", "SmartClient")
    org_of = models.Subquery(
        SmartClient.objects.filter(pk=models.OuterRef("client_id")).values("organization_id")[:1]
    )
    for name in ("SmartAccessToken", "UsedAssertion"):
        apps.get_model("fhir_bulk", name).objects.update(organization_id=org_of)
    if schema_editor.connection.vendor == "postgresql":
        # Check the new keys now: a table with pending checks cannot be altered (NOT NULL).
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")


def organization(null):
    return models.ForeignKey(
        null=null,
        on_delete=django.db.models.deletion.CASCADE,
        related_name="+",
        to="clinics.organization",
    )


class Migration(migrations.Migration):
    dependencies = [
        ("fhir_bulk", "0002_bulk_export_jobs"),
        ("clinics", "0004_organization_legal_details"),
    ]

    operations = [
        migrations.AddField("smartaccesstoken", "organization", organization(True)),
        migrations.AddField("usedassertion", "organization", organization(True)),
        migrations.RunPython(backfill, migrations.RunPython.noop, elidable=False),
        migrations.AlterField("smartaccesstoken", "organization", organization(False)),
        migrations.AlterField("usedassertion", "organization", organization(False)),
    ]
