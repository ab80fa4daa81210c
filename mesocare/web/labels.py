"""Labels a person reads instead of stored codes (body zones, scales, bands, review results).

The curated catalog and the scale registry keep English names; they are translated here, with
a message context so a word that means different things elsewhere ("Active", "Back") gets its
own translation.
"""

from __future__ import annotations

from dataclasses import replace

from django.utils.translation import pgettext

from mesocare.catalog.models import Zone
from mesocare.core.scales import ScaleDef, UnknownScaleError, get_scale


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


def scale_text(text: str) -> str:
    """A scale's name, instructions, item or anchor text in the active language (the scale
    registry is a pure engine and keeps the published English)."""
    return pgettext("scale", text) if text else text


def band_label(label: str) -> str:
    """A severity band's name ("Moderate" → "Moderata"): its own context, apart from the same
    word in an item's anchors or elsewhere."""
    return pgettext("severity band", label) if label else label


def shown_scale(scale: ScaleDef) -> ScaleDef:
    """`scale` with every text a person reads translated; codes, ranges and scoring as they
    are (a form built from it stores the same values)."""
    return replace(
        scale,
        name=scale_text(scale.name),
        description=scale_text(scale.description),
        items=tuple(
            replace(
                item,
                label=scale_text(item.label),
                anchors=tuple((value, scale_text(text)) for value, text in item.anchors),
            )
            for item in scale.items
        ),
        bands=tuple(replace(band, label=band_label(band.label)) for band in scale.bands),
    )


def scale_name(scale_id: str) -> str:
    """A scale's name ("Hexsel Cellulite Severity Scale"), not its registry id."""
    if not scale_id:
        return ""
    try:
        return scale_text(get_scale(scale_id).name)
    except UnknownScaleError:
        return scale_id


def band_name(scale_id: str, code: str | None) -> str:
    """A severity band's label on its scale ("Severe"), not its code ("severe")."""
    if not code:
        return ""
    try:
        band = next((b for b in get_scale(scale_id).bands if b.code == code), None)
    except UnknownScaleError:
        band = None
    return pgettext("severity band", band.label) if band else code.replace("_", " ")


def side_effect_name(kind: str) -> str:
    """A side effect's name ("Sign of infection"), not its code."""
    from mesocare.charting.choices import SideEffectKind

    try:
        return str(SideEffectKind(kind).label)
    except ValueError:
        return kind.replace("_", " ")


def object_type_name(object_type: str) -> str:
    """An audited object's kind by its model name ("Patient", "Treatment session"), not its
    "app.model" label."""
    from django.apps import apps

    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type.rsplit(".", 1)[-1].replace("_", " ")
    return str(model._meta.verbose_name).capitalize()


AMENDABLE = {
    "session": "charting.TreatmentSession",
    "injection": "charting.InjectionRecord",
    "side_effect": "charting.SideEffect",
}


def amended_part_name(target: str) -> str:
    """ "Treatment session", "Injection record"… for an amendment's target."""
    return object_type_name(AMENDABLE.get(target, target))


def amended_field_name(field: str, target: str) -> str:
    """The amended field's label ("Depth (mm)"), not its column name."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    try:
        model = apps.get_model(AMENDABLE[target])
        return str(model._meta.get_field(field).verbose_name).capitalize()
    except (KeyError, LookupError, FieldDoesNotExist):
        return field.replace("_", " ")


def moment_name(moment: str) -> str:
    """ "Check-in", not "check_in"."""
    from mesocare.safety.choices import Moment

    try:
        return str(Moment(moment).label)
    except ValueError:
        return moment.replace("_", " ")


def review_outcome_name(outcome: str) -> str:
    """ "Too early to judge", not "too_early"."""
    from mesocare.plans.choices import ReviewOutcome

    try:
        return str(ReviewOutcome(outcome).label)
    except ValueError:
        return outcome.replace("_", " ")


def plan_status_name(status: str) -> str:
    from mesocare.plans.choices import PlanStatus

    try:
        return str(PlanStatus(status).label)
    except ValueError:
        return status.replace("_", " ")
