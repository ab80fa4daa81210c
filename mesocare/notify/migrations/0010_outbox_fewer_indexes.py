"""Fewer indexes on the outbox, whose rows are rewritten whole at each claim and each mark
(every index takes a new entry each time): the subject's keys (appointment, plan, session)
are indexed only where set, and the organization, first in the composite indexes, has no
index of its own. The partial indexes are built before the full ones go."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("charting", "0004_organization_in_unique_keys"),
        ("clinics", "0007_composite_tenant_keys"),
        ("notify", "0009_outbox_partial_claim_indexes"),
        ("plans", "0005_organization_in_unique_keys"),
        ("scheduling", "0006_organization_in_unique_keys"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("appointment__isnull", False)),
                fields=["appointment"],
                name="outbox_appointment",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("plan__isnull", False)), fields=["plan"], name="outbox_plan"
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("session__isnull", False)),
                fields=["session"],
                name="outbox_session",
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="appointment",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="outbox_messages",
                to="scheduling.appointment",
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="organization",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="clinics.organization",
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="plan",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="outbox_messages",
                to="plans.treatmentplan",
            ),
        ),
        migrations.AlterField(
            model_name="outboxmessage",
            name="session",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="outbox_messages",
                to="charting.treatmentsession",
            ),
        ),
    ]
