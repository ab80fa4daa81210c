"""The old integers go once the keys hold them."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("notify", "0005_outbox_subject_keys_data")]

    operations = [
        migrations.RemoveField(model_name="outboxmessage", name="appointment_ref"),
        migrations.RemoveField(model_name="outboxmessage", name="plan_ref"),
        migrations.RemoveField(model_name="outboxmessage", name="session_ref"),
    ]
