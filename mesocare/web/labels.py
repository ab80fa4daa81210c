"""Labels a person reads instead of stored codes (body zones, scales, bands, review results).

The curated catalog and the scale registry keep English names; they are translated here, with
a message context so a word that means different things elsewhere ("Active", "Back") gets its
own translation.
"""

from __future__ import annotations

from django.utils.translation import pgettext

from mesocare.catalog.models import Zone


def zone_names() -> dict[str, str]:
    """Every body zone's code → its name in the active language (one query)."""
    return {
        code: pgettext("body zone", name) for code, name in Zone.objects.values_list("code", "name")
    }


def zone_name(code: str, names: dict[str, str] | None = None) -> str:
    if not code:
        return ""
    names = names if names is not None else zone_names()
    return names.get(code, code.replace("_", " "))
