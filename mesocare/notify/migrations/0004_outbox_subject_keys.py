"""What an outbox message is about becomes foreign keys (added next to the old integers)."""

import django.db.models.deletion
from django.db import migrations, models


def key(to: str) -> models.ForeignKey:
    return models.ForeignKey(
        blank=True,
        null=True,
        on_delete=django.db.models.deletion.SET_NULL,
        related_name="outbox_messages",
        to=to,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("charting", "0003_session_appointment"),
        ("notify", "0003_alert_kind_data_request"),
        ("plans", "0004_plan_interval_min_months"),
        ("scheduling", "0005_waitlist_offers"),
    ]

    operations = [
        migrations.AddField(
            model_name="outboxmessage", name="appointment", field=key("scheduling.appointment")
        ),
        migrations.AddField(
            model_name="outboxmessage", name="plan", field=key("plans.treatmentplan")
        ),
        migrations.AddField(
            model_name="outboxmessage", name="session", field=key("charting.treatmentsession")
        ),
    ]
