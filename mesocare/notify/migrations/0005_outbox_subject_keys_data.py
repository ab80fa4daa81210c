"""Copy the old integers into the keys; messages naming a missing row keep an empty key and
are printed (see mesocare/lib/ref_keys.py)."""

from django.db import migrations

from mesocare.lib.ref_keys import link_refs, unlink_refs

FIELDS = {"appointment_ref": "appointment", "plan_ref": "plan", "session_ref": "session"}


def forward(apps, schema_editor):
    link_refs(apps, "notify", "OutboxMessage", FIELDS)


def backward(apps, schema_editor):
    unlink_refs(apps, "notify", "OutboxMessage", FIELDS)


class Migration(migrations.Migration):
    dependencies = [("notify", "0004_outbox_subject_keys")]

    operations = [migrations.RunPython(forward, backward)]
