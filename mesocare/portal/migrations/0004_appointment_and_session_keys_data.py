"""Copy the old integers into the keys; rows naming a missing appointment or session keep an
empty key and are printed (see mesocare/lib/ref_keys.py)."""

from django.db import migrations

from mesocare.lib.ref_keys import link_refs, unlink_refs

FIELDS = {
    "PreCareConfirmation": {"appointment_ref": "appointment"},
    "CheckInResponse": {"session_ref": "session"},
}


def forward(apps, schema_editor):
    for model, fields in FIELDS.items():
        link_refs(apps, "portal", model, fields)


def backward(apps, schema_editor):
    for model, fields in FIELDS.items():
        unlink_refs(apps, "portal", model, fields)


class Migration(migrations.Migration):
    dependencies = [("portal", "0003_appointment_and_session_keys")]

    operations = [migrations.RunPython(forward, backward)]
