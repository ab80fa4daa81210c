"""Safety checks, overrides and the clinic's rule settings over the API."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status
from pydantic import Field

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.api.safety_schemas import (
    CheckIn,
    CheckOut,
    OverrideIn,
    OverrideOut,
    OverridePage,
    RuleIn,
    RuleOut,
)
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.safety import overrides, rulesets
from mesocare.safety.models import SafetyCheck, SafetyOverride
from mesocare.safety.references import ProductLine, resolve_request
from mesocare.safety.services import record_override, run_check

router = Router(tags=["safety"])


class OverrideQuery(Schema):
    patient: int | None = None
    limit: int = Field(50, ge=1, le=200)
    offset: int = Field(0, ge=0)


def _check_out(check: SafetyCheck) -> dict[str, Any]:
    return {
        "check": check.pk,
        "patient": check.patient_id,
        "moment": check.moment,
        "date": check.on,
        "blocked": check.blocked,
        "overridable": check.overridable,
        "findings": check.findings,
        "created_at": check.created_at,
    }


def _override_out(o: SafetyOverride) -> dict[str, Any]:
    check = o.safety_check
    return {
        "id": o.pk,
        "check": check.pk,
        "patient": o.patient_id,
        "patient_name": o.patient.full_name,
        "moment": check.moment,
        "date": check.on,
        "codes": o.codes,
        "findings": check.blocks,
        "reason": o.reason,
        "by": o.by.email,
        "role": o.role,
        "at": o.at,
    }


def _rule_out(row: rulesets.RuleRow) -> dict[str, Any]:
    return {**row.__dict__, "block_at": list(row.block_at), "effective": row.effective}


@router.post("/safety/check", response={200: CheckOut, **PROBLEM_RESPONSES})
@requires(Perm.SAFETY_CHECK)
def check(request: HttpRequest, payload: CheckIn) -> dict[str, Any]:
    """Run the safety rules for a planned treatment. Findings never make this fail: a
    block is `"blocked": true`. Bad references or volumes are 422; the patient of another
    organization is 404."""
    actor = actor_of(request)
    actor.require(Perm.SAFETY_CHECK)
    resolved = resolve_request(
        actor,
        patient_id=payload.patient,
        protocol_id=payload.protocol,
        location_id=payload.location,
        assessment_id=payload.assessment,
        products=[ProductLine(**line.dict()) for line in payload.products],
    )
    result = run_check(
        actor,
        resolved.patient,
        payload.moment,
        on=payload.date,
        protocol=resolved.protocol,
        items=resolved.items,
        body_areas=payload.body_areas,
        location=resolved.location,
        baseline=resolved.baseline,
        channel="api",
    )
    assert result.check is not None
    return _check_out(result.check)


@router.get("/safety/checks/{check_id}", response={200: CheckOut, **PROBLEM_RESPONSES})
@requires(Perm.PATIENT_VIEW)
def get_check(request: HttpRequest, check_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    stored = overrides.get_check(actor, check_id, channel="api")
    return _check_out(stored)


@router.post("/safety/checks/{check_id}/override", response={201: OverrideOut, **PROBLEM_RESPONSES})
@requires(Perm.SAFETY_OVERRIDE)
def override(request: HttpRequest, check_id: int, payload: OverrideIn) -> Status[Any]:
    """Proceed despite the check's overridable blocks (practitioner or admin), with a reason
    of at least 10 characters. Non-overridable blocks (doses, lots) are 409."""
    actor = actor_of(request)
    actor.require(Perm.SAFETY_OVERRIDE)
    stored = get_for_org(SafetyCheck, actor.org_id, check_id)
    made = record_override(actor, stored, payload.reason)
    made = overrides.override_queryset(actor.org_id).get(pk=made.pk)
    return Status(201, _override_out(made))


@router.get("/safety/overrides", response={200: OverridePage, **PROBLEM_RESPONSES})
@requires(Perm.AUDIT_VIEW)
def list_overrides(request: HttpRequest, params: Query[OverrideQuery]) -> dict[str, Any]:
    """Every override, newest first (admin and auditor)."""
    actor = actor_of(request)
    qs = overrides.list_overrides(actor, patient_id=params.patient, channel="api")
    rows = list(qs[params.offset : params.offset + params.limit + 1])
    more = len(rows) > params.limit
    return {
        "limit": params.limit,
        "offset": params.offset,
        "next_offset": params.offset + params.limit if more else None,
        "items": [_override_out(o) for o in rows[: params.limit]],
    }


@router.get("/safety/rules", response={200: list[RuleOut], **PROBLEM_RESPONSES})
@requires(Perm.ORG_VIEW)
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    """The rule registry with each rule's default and this clinic's setting."""
    return [_rule_out(row) for row in rulesets.rule_rows(actor_of(request))]


@router.put("/safety/rules/{code}", response={200: RuleOut, **PROBLEM_RESPONSES})
@requires(Perm.ORG_MANAGE)
def set_rule(request: HttpRequest, code: str, payload: RuleIn) -> dict[str, Any]:
    """Tighten a rule to `block` (admin). `warn` undoes a clinic's tightening; loosening a
    rule below its default is 422."""
    row = rulesets.set_rule_severity(actor_of(request), code, payload.severity)
    return _rule_out(row)
