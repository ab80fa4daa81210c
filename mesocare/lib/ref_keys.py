"""Data migrations that turn an integer column standing in for a row into a foreign key.

The migration adds the key next to the old integer, `link_refs` copies every integer that
names an existing row into the key, and a later migration drops the integer. A row whose
integer names a row that no longer exists (an orphan) is kept with an empty key and reported
on standard output, never dropped."""

from __future__ import annotations

from typing import Any

from django.db.models import F


def link_refs(
    apps: Any, app_label: str, model_name: str, fields: dict[str, str]
) -> dict[str, list[int]]:
    """Copy each old integer field into its new key (`{"appointment_ref": "appointment"}`).

    Returns, per old field, the primary keys of the orphan rows (also printed)."""
    model = apps.get_model(app_label, model_name)
    rows = model._base_manager
    orphans: dict[str, list[int]] = {}
    for old, new in fields.items():
        target = model._meta.get_field(new).related_model
        existing = target._base_manager.values("pk")
        rows.filter(**{f"{old}__in": existing}).update(**{new: F(old)})
        lost = list(
            rows.filter(**{f"{old}__isnull": False})
            .exclude(**{f"{old}__in": existing})
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        orphans[old] = lost
        if lost:
            print(
                f"  {app_label}.{model_name}: {len(lost)} row(s) name a "
                f"{target._meta.label} that does not exist in {old}; their {new} is left "
                f"empty (rows {', '.join(map(str, lost))})"
            )
    return orphans


def unlink_refs(apps: Any, app_label: str, model_name: str, fields: dict[str, str]) -> None:
    """The reverse of `link_refs`: copy each key back into its old integer field."""
    rows = apps.get_model(app_label, model_name)._base_manager
    for old, new in fields.items():
        rows.filter(**{f"{new}__isnull": False}).update(**{old: F(f"{new}_id")})
