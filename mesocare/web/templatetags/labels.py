"""`{% load labels %}`: names a person reads instead of stored codes (see `mesocare.web.labels`)."""

from __future__ import annotations

from django import template

from mesocare.web import labels

register = template.Library()


@register.filter
def scale_name(scale_id: str) -> str:
    return labels.scale_name(scale_id)


@register.filter
def zone_name(code: str) -> str:
    return labels.zone_name(code)


@register.filter
def side_effect_name(kind: str) -> str:
    return labels.side_effect_name(kind)


@register.filter
def object_type_name(object_type: str) -> str:
    return labels.object_type_name(object_type)


@register.filter
def amended_part_name(target: str) -> str:
    return labels.amended_part_name(target)


@register.filter
def amended_field_name(field: str, target: str) -> str:
    return labels.amended_field_name(field, target)


@register.filter
def moment_name(moment: str) -> str:
    return labels.moment_name(moment)


@register.filter
def review_outcome_name(outcome: str) -> str:
    return labels.review_outcome_name(outcome)


@register.filter
def plan_status_name(status: str) -> str:
    return labels.plan_status_name(status)


@register.filter
def audit_channel(channel: str) -> str:
    """Where an audited action came from ("Staff pages", "API", "Online booking")."""
    from mesocare.web.audit_changes import channel_name

    return channel_name(channel)


@register.filter
def band_name(code: str, scale_id: str) -> str:
    """``{{ a.band|band_name:a.scale_id }}``: the band's label on its scale."""
    return labels.band_name(scale_id, code)


@register.filter
def review_reason(reason: str, scale_id: str = "") -> str:
    """A plan review's reason (or a plan event's) in the reader's language."""
    from mesocare.web.review_text import review_reason as text

    return text(reason, scale_id or "")
