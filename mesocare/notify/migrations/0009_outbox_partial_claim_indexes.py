"""The claims' indexes become partial: `outbox_due` holds the pending messages (by
next_attempt_at), `outbox_leased` the sending ones (by lease_until). The full indexes on
(status, …) they replace held every message ever sent and took two new entries at each
claim and each mark. The new ones are built before the old ones go."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("clinics", "0007_composite_tenant_keys"),
        ("notify", "0008_organization_in_unique_keys"),
    ]

    operations = [
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("status", "pending")),
                fields=["next_attempt_at"],
                name="outbox_due",
            ),
        ),
        migrations.AddIndex(
            model_name="outboxmessage",
            index=models.Index(
                condition=models.Q(("status", "sending")),
                fields=["lease_until"],
                name="outbox_leased",
            ),
        ),
        migrations.RemoveIndex(model_name="outboxmessage", name="outbox_claim"),
        migrations.RemoveIndex(model_name="outboxmessage", name="outbox_lease"),
    ]
