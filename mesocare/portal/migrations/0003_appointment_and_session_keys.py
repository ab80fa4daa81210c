"""Pre-care confirmations and check-ins point at their appointment and session by foreign key
(added next to the old integers)."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("charting", "0003_session_appointment"),
        ("portal", "0002_portal_accounts"),
        ("scheduling", "0005_waitlist_offers"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="precareconfirmation", name="precare_one_per_appointment"
        ),
        migrations.RemoveConstraint(model_name="checkinresponse", name="checkin_once_per_link"),
        migrations.AddField(
            model_name="precareconfirmation",
            name="appointment",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="precare_confirmations",
                to="scheduling.appointment",
            ),
        ),
        migrations.AddField(
            model_name="checkinresponse",
            name="session",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="check_in_responses",
                to="charting.treatmentsession",
            ),
        ),
    ]
