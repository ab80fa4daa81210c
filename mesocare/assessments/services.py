"""Scoring and recording severity assessments. An assessment is immutable once stored; a
correction is a new assessment."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from mesocare.assessments.models import Assessment
from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org, require_in_org
from mesocare.core.scales import (
    ScaleValidationError,
    ScoreResult,
    UnknownScaleError,
    get_scale,
)
from mesocare.errors import Invalid, NotFound
from mesocare.patients.models import Patient

# Clocks drift; an assessment "now" from a device a little ahead is still now.
FUTURE_TOLERANCE = dt.timedelta(minutes=5)
MAX_BODY_AREA = 64


def score(scale_id: str, items: Any, *, unknown_scale_field: str | None = None) -> ScoreResult:
    """Score ``items`` on ``scale_id``.

    Raises NotFound for an unknown scale (or Invalid naming ``unknown_scale_field`` when the
    scale id came in a request body), and Invalid with one error per bad item (field = item key).
    """
    try:
        scale = get_scale(scale_id)
    except UnknownScaleError:
        message = _("Unknown scale %(id)s.") % {"id": scale_id}
        if unknown_scale_field:
            raise Invalid.field(unknown_scale_field, message, code="unknown_scale") from None
        raise NotFound("unknown_scale", message) from None
    if not isinstance(items, Mapping):
        raise Invalid.field("items", _("Give the items as an object of item key → value."))
    try:
        return scale.score(items)
    except ScaleValidationError as exc:
        errors = [{"field": e.field, "message": e.message} for e in exc.errors]
        detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
        raise Invalid("invalid_items", detail, errors=errors, scale=scale_id) from None


@transaction.atomic
def record_assessment(
    actor: Actor,
    patient: Patient,
    *,
    scale_id: str,
    items: Mapping[str, Any],
    assessed_at: dt.datetime | None = None,
    body_area: str = "",
    notes: str = "",
    plan: Any = None,
    session_index: int | None = None,
    channel: str = "api",
) -> Assessment:
    actor.require(Perm.CLINICAL_EDIT)
    require_in_org(actor, patient)
    result = score(scale_id, items, unknown_scale_field="scale")
    now = timezone.now()
    if assessed_at is None:
        assessed_at = now
    elif timezone.is_naive(assessed_at):
        assessed_at = timezone.make_aware(assessed_at)
    if assessed_at > now + FUTURE_TOLERANCE:
        raise Invalid.field("assessed_at", _("An assessment cannot be in the future."))
    body_area = (body_area or "").strip()
    if len(body_area) > MAX_BODY_AREA:
        raise Invalid.field("body_area", _("At most %(n)d characters.") % {"n": MAX_BODY_AREA})
    scale = get_scale(scale_id)
    assessment = Assessment.objects.create(
        organization_id=actor.org_id,
        patient=patient,
        scale_id=scale.id,
        scale_version=scale.version,
        items={item.key: _stored(items[item.key]) for item in scale.items},
        total=result.total,
        band=result.band or "",
        body_area=body_area,
        assessed_at=assessed_at,
        assessed_by=actor.user,
        plan=plan,
        session_index=session_index,
        notes=notes,
    )
    record(
        actor,
        AuditAction.CREATE,
        assessment,
        patient_id=patient.pk,
        summary=f"{scale.id} {result.total} ({result.band or '-'})",
        channel=channel,
    )
    return assessment


def _stored(value: Any) -> Any:
    """JSON-ready item value: forms hand in Decimals, the API ints, floats and codes."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def list_assessments(
    actor: Actor, patient: Patient, *, scale_id: str | None = None
) -> QuerySet[Assessment]:
    """The patient's assessments, newest first; the caller has opened (and audited) the patient."""
    actor.require(Perm.CLINICAL_VIEW)
    qs = (
        Assessment.objects.for_org(actor.org_id)
        .filter(patient=patient)
        .select_related("assessed_by")
    )
    if scale_id:
        qs = qs.filter(scale_id=scale_id)
    return qs


def get_assessment(actor: Actor, pk: Any, *, patient: Patient | None = None) -> Assessment:
    actor.require(Perm.CLINICAL_VIEW)
    assessment = get_for_org(
        Assessment, actor.org_id, pk, queryset=Assessment.objects.select_related("assessed_by")
    )
    if patient is not None and assessment.patient_id != patient.pk:
        raise NotFound("not_found", _("No assessment with id %(id)s.") % {"id": pk})
    return assessment


def link_to_plan(assessment: Assessment, plan: Any, session_index: int | None = None) -> None:
    """Attach an existing assessment to a plan: the one change an assessment allows, once."""
    if assessment.plan_id not in (None, plan.pk):
        raise Invalid.field("assessment", _("This assessment already belongs to another plan."))
    if assessment.plan_id is None:
        assessment.plan = plan
        assessment.session_index = session_index
        assessment.save(update_fields=["plan", "session_index"])


def as_score(assessment: Assessment) -> ScoreResult:
    """The engine's view of a stored assessment (the model keeps "no band" as "")."""
    return ScoreResult(assessment.scale_id, assessment.total, assessment.band or None)


def trend(assessments: list[Assessment]) -> dict[str, list[dict[str, Any]]]:
    """Oldest-first points per scale, for the trend chart."""
    series: dict[str, list[dict[str, Any]]] = {}
    for a in sorted(assessments, key=lambda a: (a.assessed_at, a.pk)):
        series.setdefault(a.scale_id, []).append(
            {"t": a.assessed_at.isoformat(), "total": float(a.total), "band": a.band or None}
        )
    return series
