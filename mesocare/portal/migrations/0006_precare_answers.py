"""Per-item pre-care answers: each instruction as shown and "done" or "could not follow"."""

import django.core.serializers.json
from django.db import migrations, models


def answers_from_ticks(apps, schema_editor):
    """Rows written before per-item answers: each ticked item is "done", with the text the
    instruction set has now; an unticked one stays unanswered (it was never answered)."""
    Confirmation = apps.get_model("portal", "PreCareConfirmation")
    InstructionSet = apps.get_model("catalog", "InstructionSet")
    texts = {}
    for row in Confirmation.objects.all().iterator():
        if row.instruction_set not in texts:
            found = InstructionSet.objects.filter(code=row.instruction_set).first()
            items = found.items if found is not None else []
            texts[row.instruction_set] = {i["code"]: i["text"] for i in items}
        known = texts[row.instruction_set]
        row.answers = [
            {"code": code, "text": known.get(code, code), "answer": "done", "note": ""}
            for code in row.items_confirmed
        ]
        row.save(update_fields=["answers"])


class Migration(migrations.Migration):
    dependencies = [
        ("portal", "0005_appointment_and_session_keys_drop_refs"),
        ("catalog", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="precareconfirmation",
            name="answers",
            field=models.JSONField(
                blank=True, default=list, encoder=django.core.serializers.json.DjangoJSONEncoder
            ),
        ),
        migrations.RunPython(answers_from_ticks, migrations.RunPython.noop),
    ]
