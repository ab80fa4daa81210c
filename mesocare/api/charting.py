"""Treatment sessions over the API: open, read, edit, chart injections, side effects,
sign and amend. A signed session refuses every edit with 409 problem+json."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.db.models import prefetch_related_objects
from django.http import HttpRequest
from ninja import Router, Status

from mesocare.api.access import requires
from mesocare.api.auth import actor_of
from mesocare.api.charting_schemas import (
    AmendmentIn,
    AmendmentOut,
    DiscardIn,
    InjectionCharted,
    InjectionIn,
    SessionListItem,
    SessionOut,
    SessionPatch,
    SideEffectIn,
    SideEffectOut,
    SuggestionOut,
    WalkInIn,
)
from mesocare.api.problems import PROBLEM_RESPONSES
from mesocare.charting.models import Amendment, InjectionRecord, SideEffect, TreatmentSession
from mesocare.charting.services import injections as charting
from mesocare.charting.services import sessions
from mesocare.charting.services.totals import Totals
from mesocare.clinics.models import Location, Membership
from mesocare.clinics.permissions import Perm
from mesocare.clinics.tenancy import get_for_org
from mesocare.errors import Invalid
from mesocare.patients.services.registry import get_patient
from mesocare.scheduling.models import Appointment

router = Router(tags=["charting"])


def _amended(session: TreatmentSession, target: str, n: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if session.signed_at is None:
        return out  # only a signed session is amended
    for amendment in session.amendments.all():
        for change in amendment.changes:
            if change["target"] == target and change.get("n") == n:
                out[change["field"]] = change["new"]
    return out


def injection_out(session: TreatmentSession, i: InjectionRecord) -> dict[str, Any]:
    return {
        **{
            f: getattr(i, f)
            for f in (
                "n",
                "technique",
                "depth_mm",
                "points",
                "volume_per_point_ml",
                "total_volume_ml",
                "needle_kind",
                "needle_gauge",
                "needle_length_mm",
                "out_of_range_reason",
                "safety_override_reason",
                "safety_findings",
                "created_at",
            )
        },
        "zone": i.zone_id,
        "zone_name": i.zone.name,
        "components": [
            {
                "id": c.pk,
                "lot": c.lot_id,
                "lot_number": c.lot.lot_number,
                "expiry": c.lot.expiry,
                "product": c.lot.product_id,
                "product_name": c.lot.product.name,
                "volume_ml": c.volume_ml,
            }
            for c in i.components.all()
        ],
        "amended": _amended(session, "injection", i.n),
    }


def side_effect_out(session: TreatmentSession, s: SideEffect) -> dict[str, Any]:
    return {
        **{
            f: getattr(s, f)
            for f in (
                "kind",
                "grade",
                "onset",
                "action_taken",
                "source",
                "notes",
                "recorded_after_signing",
                "recorded_at",
            )
        },
        "id": s.pk,
        "amended": _amended(session, "side_effect", s.pk),
    }


def amendment_out(a: Amendment) -> dict[str, Any]:
    return {"id": a.pk, "by": a.by.email, "at": a.at, "reason": a.reason, "changes": a.changes}


def session_out(session: TreatmentSession, totals: Totals) -> dict[str, Any]:
    protocol = session.protocol
    return {
        "id": session.pk,
        "patient": {"id": session.patient_id, "name": str(session.patient)},
        "practitioner": {
            "id": session.practitioner_id,
            "name": session.practitioner.user.full_name or session.practitioner.user.email,
        },
        "location": {"id": session.location_id, "name": session.location.name},
        "appointment": session.appointment_id,
        "planned_session": session.planned_session_id,
        "protocol": None
        if protocol is None
        else {
            "id": protocol.pk,
            "name": protocol.name,
            "version": session.protocol_version.version if session.protocol_version else None,
        },
        "started_at": session.started_at,
        "signed_at": session.signed_at,
        "signed_by": session.signed_by.email if session.signed_by else None,
        "pain_vas": session.pain_vas,
        "notes": session.notes,
        "amended": _amended(session, "session", None),
        "injections": [injection_out(session, i) for i in session.injections.all()],
        "side_effects": [side_effect_out(session, s) for s in session.side_effects.all()],
        "amendments": [amendment_out(a) for a in session.amendments.all()],
        "totals": dataclasses.asdict(totals),
    }


def _detail(request: HttpRequest, session_id: int, *, audit: bool = True) -> dict[str, Any]:
    actor = actor_of(request)
    session = sessions.get_session(actor, session_id, audit=audit)
    return session_out(session, sessions.session_totals(session))


def _session(request: HttpRequest, session_id: int) -> TreatmentSession:
    actor = actor_of(request)
    return sessions.get_session(actor, session_id, audit=False)


@router.post(
    "/appointments/{appointment_id}/session",
    response={201: SessionOut, **PROBLEM_RESPONSES},
    summary="Open the treatment session of a checked-in appointment",
)
@requires(Perm.CLINICAL_EDIT)
def open_from_appointment(request: HttpRequest, appointment_id: int) -> Status:
    actor = actor_of(request)
    appointment = get_for_org(Appointment, actor.org_id, appointment_id)
    session = sessions.open_from_appointment(actor, appointment)
    return Status(201, _detail(request, session.pk, audit=False))


@router.post(
    "/sessions",
    response={201: SessionOut, **PROBLEM_RESPONSES},
    summary="Open a walk-in treatment session",
)
@requires(Perm.CLINICAL_EDIT)
def open_walk_in(request: HttpRequest, payload: WalkInIn) -> Status:
    actor = actor_of(request)
    patient = get_patient(actor, payload.patient)
    location = Location.objects.for_org(actor.org_id).filter(pk=payload.location).first()
    if location is None:
        raise Invalid.field("location", f"No location with id {payload.location}.")
    protocol = None
    if payload.protocol is not None:
        protocol = sessions.visible_protocols(actor).filter(pk=payload.protocol).first()
        if protocol is None:
            raise Invalid.field("protocol", f"No protocol with id {payload.protocol}.")
    practitioner = None
    if payload.practitioner is not None:
        practitioner = (
            Membership.objects.for_org(actor.org_id).filter(pk=payload.practitioner).first()
        )
        if practitioner is None:
            raise Invalid.field("practitioner", f"No staff member with id {payload.practitioner}.")
    session = sessions.open_walk_in(
        actor, patient=patient, location=location, protocol=protocol, practitioner=practitioner
    )
    return Status(201, _detail(request, session.pk, audit=False))


@router.get("/sessions/{session_id}", response={200: SessionOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_VIEW)
def get_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    return _detail(request, session_id)


@router.patch("/sessions/{session_id}", response={200: SessionOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_EDIT)
def update_session(request: HttpRequest, session_id: int, payload: SessionPatch) -> dict[str, Any]:
    actor = actor_of(request)
    sessions.update_session(
        actor, _session(request, session_id), **payload.dict(exclude_unset=True)
    )
    return _detail(request, session_id, audit=False)


@router.post(
    "/sessions/{session_id}/injections",
    response={201: InjectionCharted, **PROBLEM_RESPONSES},
    summary="Chart an injection (safety check with the session's totals; stock deducted)",
)
@requires(Perm.CLINICAL_EDIT)
def chart_injection(request: HttpRequest, session_id: int, payload: InjectionIn) -> Status:
    actor = actor_of(request)
    needle = payload.needle
    data = charting.InjectionIn(
        zone=payload.zone,
        technique=payload.technique,
        depth_mm=payload.depth_mm,
        points=payload.points,
        total_volume_ml=payload.total_volume_ml,
        components=tuple(charting.ComponentIn(c.lot, c.volume_ml) for c in payload.components),
        volume_per_point_ml=payload.volume_per_point_ml,
        needle_kind=needle.kind if needle else "needle",
        needle_gauge=needle.gauge if needle else None,
        needle_length_mm=needle.length_mm if needle else None,
        out_of_range_reason=payload.out_of_range_reason,
        override_reason=payload.override_reason,
    )
    injection = charting.chart_injection(actor, sessions.session_row(actor, session_id), data)
    session = injection.session  # the row the charting locked, its related rows loaded
    prefetch_related_objects([session], sessions.injections_prefetch())
    row = next(i for i in session.injections.all() if i.pk == injection.pk)
    totals = dataclasses.asdict(sessions.session_totals(session))
    return Status(201, {**injection_out(session, row), "session_totals": totals})


@router.delete(
    "/sessions/{session_id}/injections/{n}",
    response={204: None, **PROBLEM_RESPONSES},
    summary="Delete an injection of an unsigned session (its stock is put back)",
)
@requires(Perm.CLINICAL_EDIT)
def delete_injection(request: HttpRequest, session_id: int, n: int) -> Status:
    actor = actor_of(request)
    charting.delete_injection(actor, sessions.session_row(actor, session_id), n)
    return Status(204, None)


@router.post(
    "/sessions/{session_id}/side-effects", response={201: SideEffectOut, **PROBLEM_RESPONSES}
)
@requires(Perm.CLINICAL_EDIT)
def add_side_effect(request: HttpRequest, session_id: int, payload: SideEffectIn) -> Status:
    actor = actor_of(request)
    session = _session(request, session_id)
    effect = charting.add_side_effect(actor, session, **payload.dict())
    return Status(201, side_effect_out(session, effect))


@router.post("/sessions/{session_id}/sign", response={200: SessionOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_EDIT)
def sign_session(request: HttpRequest, session_id: int) -> dict[str, Any]:
    actor = actor_of(request)
    sessions.sign_session(actor, _session(request, session_id))
    return _detail(request, session_id, audit=False)


@router.post(
    "/sessions/{session_id}/discard",
    response={204: None, **PROBLEM_RESPONSES},
    summary="Discard an empty unsigned session opened by mistake (its appointment is booked again)",
)
@requires(Perm.CLINICAL_EDIT)
def discard_session(
    request: HttpRequest, session_id: int, payload: DiscardIn | None = None
) -> Status:
    actor = actor_of(request)
    reason = (payload.reason if payload else None) or ""
    sessions.discard_session(actor, _session(request, session_id), reason)
    return Status(204, None)


@router.post("/sessions/{session_id}/amendments", response={201: AmendmentOut, **PROBLEM_RESPONSES})
@requires(Perm.CLINICAL_EDIT)
def add_amendment(request: HttpRequest, session_id: int, payload: AmendmentIn) -> Status:
    actor = actor_of(request)
    changes = [sessions.Change(c.target, c.field, c.value, c.n) for c in payload.changes]
    amendment = sessions.add_amendment(
        actor, _session(request, session_id), reason=payload.reason, changes=changes
    )
    return Status(201, amendment_out(amendment))


@router.get(
    "/sessions/{session_id}/suggestion",
    response={200: SuggestionOut, **PROBLEM_RESPONSES},
    summary="Prefill for a zone: same as last time, else the protocol",
)
@requires(Perm.CLINICAL_VIEW)
def suggestion(request: HttpRequest, session_id: int, zone: str = "") -> dict[str, Any]:
    """Without a zone: the protocol's defaults."""
    actor = actor_of(request)
    return charting.suggest_injection(actor, _session(request, session_id), zone)


@router.get(
    "/patients/{patient_id}/sessions", response={200: list[SessionListItem], **PROBLEM_RESPONSES}
)
@requires(Perm.CLINICAL_VIEW)
def patient_sessions(request: HttpRequest, patient_id: int) -> list[dict[str, Any]]:
    actor = actor_of(request)
    patient = get_patient(actor, patient_id)
    return [
        {
            "id": s.pk,
            "started_at": s.started_at,
            "signed_at": s.signed_at,
            "practitioner": s.practitioner.user.email,
            "location": s.location.name,
            "protocol": s.protocol.name if s.protocol else None,
            "injection_count": s.injection_count,  # type: ignore[attr-defined]
            "volume_ml": s.volume_ml,  # type: ignore[attr-defined]
        }
        for s in sessions.patient_sessions(actor, patient)
    ]


@router.get(
    "/me/unsigned-sessions",
    response={200: list[SessionListItem], **PROBLEM_RESPONSES},
    summary="My unsigned sessions older than 24 hours",
)
@requires(Perm.CLINICAL_VIEW)
def overdue(request: HttpRequest) -> list[dict[str, Any]]:
    actor = actor_of(request)
    return [
        {
            "id": s.pk,
            "started_at": s.started_at,
            "signed_at": None,
            "practitioner": actor.user.email,
            "location": s.location.name,
            "protocol": None,
            "injection_count": 0,
            "volume_ml": None,
        }
        for s in sessions.overdue_unsigned(actor)
    ]
