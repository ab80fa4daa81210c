"""The old integers go once the keys hold them; the one-per-appointment and
one-per-session-and-time rules move onto the keys."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("portal", "0004_appointment_and_session_keys_data")]

    operations = [
        migrations.RemoveField(model_name="precareconfirmation", name="appointment_ref"),
        migrations.RemoveField(model_name="checkinresponse", name="session_ref"),
        migrations.AddConstraint(
            model_name="precareconfirmation",
            constraint=models.UniqueConstraint(
                fields=("organization", "appointment"), name="precare_one_per_appointment"
            ),
        ),
        migrations.AddConstraint(
            model_name="checkinresponse",
            constraint=models.UniqueConstraint(
                fields=("organization", "session", "when"), name="checkin_once_per_link"
            ),
        ),
    ]
