from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.db import models

from mesocare.audit.choices import AuditAction
from mesocare.audit.models import AuditEvent

if TYPE_CHECKING:
    from mesocare.clinics.actor import Actor

SYSTEM = "system"  # actor label and channel of what the system does on its own
PATIENT = "patient"  # actor label of what a patient does through the portal or a link


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
    patient_ids: list[int] | None = None,
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
        patient_ids=patient_ids or [],
        summary=summary[:255],
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
        reason=actor.reason,
        ip=actor.ip,
        channel=channel,
    )


def _patient_pk(value: Any) -> int | None:
    """A patient id as the request gave it, if it can be one (a refused request may carry
    any text or an integer beyond 64 bits)."""
    try:
        pk = int(value) if value is not None else None
    except (TypeError, ValueError):
        return None
    return pk if pk is not None and 0 < pk < 2**63 else None


def record_list_read(
    actor: Actor,
    object_type: str,
    patient_ids: Iterable[int | None],
    *,
    patient_id: int | None = None,
    summary: str = "",
    channel: str = "",
) -> AuditEvent:
    """One READ event for a list or search of patient data, naming each patient it showed
    (once, in order): one INSERT per request however long the page is. ``patient_id`` is the
    patient the list was filtered to, so the read shows on that patient's audit tab."""
    ids = list(dict.fromkeys(pk for pk in patient_ids if pk is not None))
    patient_id = _patient_pk(patient_id)
    if patient_id is None and len(ids) == 1:
        patient_id = ids[0]
    return record(
        actor,
        AuditAction.READ,
        object_type=object_type,
        patient_id=patient_id,
        summary=summary or f"listed {len(ids)} patient{'' if len(ids) == 1 else 's'}",
        channel=channel,
        patient_ids=ids,
    )


def record_refused(
    actor: Actor,
    *,
    object_type: str,
    object_id: Any = "",
    patient_id: Any = None,
    summary: str = "",
    channel: str = "",
) -> AuditEvent:
    """A request for a patient's data that was refused (403) or not found in the actor's
    organization (404): recorded as REFUSED, never as a read."""
    patient_pk = _patient_pk(patient_id)
    return record(
        actor,
        AuditAction.REFUSED,
        object_type=object_type,
        object_id=str(object_id)[:64],
        patient_id=patient_pk,
        summary=summary,
        channel=channel,
    )


def record_without_user(
    organization_id: int,
    action: AuditAction | str,
    object_type: str,
    object_id: str,
    *,
    label: str,
    channel: str,
    patient_id: int | None,
    summary: str,
    changes: dict[str, Any] | None,
    ip: str | None = None,
) -> AuditEvent:
    """The one write of an entry that no staff user made (the system, a patient, a portal
    account): `label` names who did it."""
    return AuditEvent.objects.create(
        organization_id=organization_id,
        actor=None,
        actor_label=label[:254],
        action=action,
        object_type=object_type,
        object_id=object_id,
        patient_id=patient_id,
        summary=summary[:255],
        changes={k: _jsonable(v) for k, v in (changes or {}).items()},
        ip=ip,
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
    return record_without_user(
        organization_id,
        action,
        obj._meta.label_lower,
        str(obj.pk),
        label=SYSTEM,
        channel=SYSTEM,
        patient_id=patient_id,
        summary=summary,
        changes=changes,
    )


def record_by_patient(
    organization_id: int,
    action: AuditAction,
    obj: models.Model,
    *,
    patient_id: int,
    summary: str = "",
    channel: str = "portal",
) -> AuditEvent:
    """What a patient did through the portal or a signed link (no staff user)."""
    return record_without_user(
        organization_id,
        action,
        obj._meta.label_lower,
        str(obj.pk),
        label=PATIENT,
        channel=channel,
        patient_id=patient_id,
        summary=summary,
        changes=None,
    )


def record_by_portal_account(
    organization_id: int,
    email: str,
    action: AuditAction | str,
    *,
    object_type: str,
    object_id: str,
    patient_id: int | None = None,
    summary: str = "",
    changes: dict[str, Any] | None = None,
    ip: str | None = None,
) -> AuditEvent:
    """What a portal account did (no staff user: the label names the account's email)."""
    return record_without_user(
        organization_id,
        action,
        object_type,
        object_id,
        label=f"portal:{email}",
        channel="portal",
        patient_id=patient_id,
        summary=summary,
        changes=changes,
        ip=ip,
    )


def diff(instance: models.Model, new_values: dict[str, Any]) -> dict[str, Any]:
    """{field: [old, new]} for the values that actually change."""
    changes: dict[str, Any] = {}
    for field, new in new_values.items():
        old = getattr(instance, field)
        if old != new:
            changes[field] = [_jsonable(old), _jsonable(new)]
    return changes
