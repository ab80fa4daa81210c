from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent

if TYPE_CHECKING:
    from mesocare.clinics.actor import Actor

SYSTEM = "system"  # actor label and channel of what the system does on its own


def _jsonable(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return str(value)


def record(
    actor: Actor,
    action: AuditAction,
    obj: models.Model | None = None,
    *,
    object_type: str = "",
    object_id: str = "",
    patient_id: int | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    channel: str = "",
) -> AuditEvent:
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    return AuditEvent.objects.create(
        organization_id=actor.org_id,
        actor=actor.user,
        actor_label=actor.user.email,
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        summary=summary[:255],
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
        reason=actor.reason,
        ip=actor.ip,
        channel=channel,
    )


def record_system(
    organization_id: int,
    action: AuditAction,
    obj: models.Model,
    *,
    patient_id: int | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
) -> AuditEvent:
    """What the system did on its own (the worker: no user, label and channel "system")."""
    return AuditEvent.objects.create(
        organization_id=organization_id,
        actor=None,
        actor_label=SYSTEM,
        action=action,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        patient_id=patient_id,
        summary=summary[:255],
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
        channel=SYSTEM,
    )


def diff(instance: models.Model, new_values: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the values that actually change."""
    changes: dict[str, Any] = {}
    for field, new in new_values.items():
        old = getattr(instance, field)
        if old != new:
            changes[field] = [_jsonable(old), _jsonable(new)]
    return changes
