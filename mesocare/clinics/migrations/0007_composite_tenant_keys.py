"""Tenant tables get composite keys: primary keys (id, organization_id), unique keys of one
column widened with organization_id, and foreign keys between tenant tables carrying
organization_id on both sides (PostgreSQL only; see mesocare/lib/db/composite_keys.py)."""

from django.db import migrations

from mesocare.lib.db.composite_keys import make_keys_composite


def composite_keys(apps, schema_editor):
    make_keys_composite(schema_editor)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_token_organization"),
        ("assessments", "0002_initial"),
        ("billing", "0003_organization_in_unique_keys"),
        ("booking", "0001_online_booking"),
        ("catalog", "0002_compounded_products_calendar_month_intervals"),
        ("charting", "0004_organization_in_unique_keys"),
        ("clinics", "0006_organization_in_unique_keys"),
        ("fhir_bulk", "0004_organization_in_unique_keys"),
        ("idempotency", "0001_idempotency_keys"),
        ("imports", "0001_switching_import"),
        ("inventory", "0002_organization_in_unique_keys"),
        ("notify", "0008_organization_in_unique_keys"),
        ("outcomes", "0001_initial"),
        ("patients", "0006_allergy_status"),
        ("plans", "0005_organization_in_unique_keys"),
        ("portal", "0007_organization_in_unique_keys"),
        ("safety", "0001_initial"),
        ("scheduling", "0006_organization_in_unique_keys"),
    ]

    operations = [
        migrations.RunPython(composite_keys, migrations.RunPython.noop, elidable=False),
    ]
