"""Charting one injection: validation against the protocol, the safety check with the
session's running totals, and the stock deduction — all in one transaction."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models, transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from mesocare.audit.choices import AuditAction
from mesocare.audit.services import record, record_by_patient
from mesocare.catalog.choices import Technique
from mesocare.catalog.models import Zone
from mesocare.charting.choices import NeedleKind, SideEffectSource
from mesocare.charting.models import (
    CocktailComponent,
    InjectionRecord,
    SideEffect,
    TreatmentSession,
)
from mesocare.charting.services.sessions import lock_unsigned
from mesocare.charting.services.totals import (
    components_queryset,
    out_of_range,
    previous_sessions,
    protocol_ranges,
    session_date,
)
from mesocare.clinics.actor import Actor
from mesocare.clinics.permissions import Perm
from mesocare.errors import Invalid, NotFound
from mesocare.inventory.choices import MovementKind
from mesocare.inventory.models import ProductLot
from mesocare.inventory.services.stock import apply_movement
from mesocare.lib.validation import full_clean_or_invalid
from mesocare.safety.choices import Moment
from mesocare.safety.services import PlannedProduct, require_safe

ZERO = Decimal(0)


@dataclass(frozen=True)
class ComponentIn:
    lot: int
    volume_ml: Decimal


@dataclass(frozen=True)
class InjectionIn:
    zone: str
    technique: str
    depth_mm: Decimal
    points: int
    total_volume_ml: Decimal
    components: tuple[ComponentIn, ...]
    volume_per_point_ml: Decimal | None = None
    needle_kind: str = NeedleKind.NEEDLE
    needle_gauge: int | None = None
    needle_length_mm: Decimal | None = None
    out_of_range_reason: str = ""
    override_reason: str | None = None


def _lots(actor: Actor, session: TreatmentSession, data: InjectionIn) -> list[ProductLot]:
    if not data.components:
        raise Invalid.field("components", _("Record at least one product lot."))
    ids = {c.lot for c in data.components}
    found = {
        lot.pk: lot
        for lot in ProductLot.objects.for_org(actor.org_id)
        .filter(pk__in=ids)
        .select_related("product")
    }
    lots = []
    for index, component in enumerate(data.components):
        lot = found.get(component.lot)
        if lot is None:
            raise Invalid.field(f"components.{index}.lot", _("No lot with id %s.") % component.lot)
        if lot.location_id != session.location_id:
            raise Invalid.field(
                f"components.{index}.lot",
                _("Lot %s is stocked at another location.") % lot.lot_number,
            )
        if not component.volume_ml > 0:
            raise Invalid.field(f"components.{index}.volume_ml", _("Must be more than 0 mL."))
        lots.append(lot)
    total = sum((c.volume_ml for c in data.components), ZERO)
    if total != data.total_volume_ml:
        raise Invalid.field(
            "total_volume_ml",
            _("The components add up to %(sum)s mL, not %(total)s mL.")
            % {"sum": total, "total": data.total_volume_ml},
        )
    return lots


def _validate(data: InjectionIn) -> None:
    if not Zone.objects.filter(code=data.zone).exists():
        raise Invalid.field("zone", _("Unknown zone %s.") % data.zone)
    if data.technique not in Technique.values:
        raise Invalid.field("technique", _("Unknown technique %s.") % data.technique)
    if data.points < 1:
        raise Invalid.field("points", _("At least one point."))
    if not data.total_volume_ml > 0:
        raise Invalid.field("total_volume_ml", _("Must be more than 0 mL."))
    computed = volume_from_points(data.points, data.volume_per_point_ml)
    if computed is not None and computed != data.total_volume_ml:
        raise Invalid.field(
            "total_volume_ml",
            _("%(points)s points × %(per_point)s mL make %(computed)s mL, not %(total)s mL.")
            % {
                "points": data.points,
                "per_point": _ml(data.volume_per_point_ml),
                "computed": _ml(computed),
                "total": _ml(data.total_volume_ml),
            },
        )


def _ml(value: Decimal | None) -> str:
    """A volume as a person writes it: "1", "0.05" (locale's decimal mark)."""
    return number_format(value.normalize()) if value is not None else ""


def volume_from_points(points: int | None, per_point: Decimal | None) -> Decimal | None:
    """The injection's total volume, points × volume per point, to the mL's thousandth (the
    precision charted); None when either is missing."""
    if not points or per_point is None:
        return None
    return (points * per_point).quantize(Decimal("0.001"))


@transaction.atomic
def chart_injection(
    actor: Actor, session: TreatmentSession, data: InjectionIn, *, channel: str = "api"
) -> InjectionRecord:
    """Record one injection (a zone, its technique and the syringe's lots).

    Under the session's row lock: values outside the protocol need `out_of_range_reason`;
    the safety check (moment "charting") sees every injection of the session plus this one
    and the patient's previous sessions — a block stops the charting with 409
    `safety_block` unless overridable and `override_reason` is given; each component's
    volume leaves its lot (409 `insufficient_stock` unless negative stock is allowed)."""
    actor.require(Perm.CLINICAL_EDIT)
    session = lock_unsigned(session)
    _validate(data)
    lots = _lots(actor, session, data)
    existing = list(
        InjectionRecord.objects.filter(session=session).prefetch_related(
            models.Prefetch("components", queryset=components_queryset())
        )
    )
    per_point = data.volume_per_point_ml or (data.total_volume_ml / data.points)
    session_volume = sum((i.total_volume_ml for i in existing), ZERO) + data.total_volume_ml
    errors = out_of_range(
        protocol_ranges(session),
        technique=data.technique,
        depth_mm=data.depth_mm,
        volume_per_point_ml=per_point,
        session_volume_ml=session_volume,
    )
    if errors and not data.out_of_range_reason.strip():
        for error in errors:
            error["message"] += _("; give out_of_range_reason to chart it anyway")
        raise Invalid("out_of_range", errors[0]["message"], errors=errors)
    n = (max((i.n for i in existing), default=0)) + 1
    items = [
        PlannedProduct(c.lot.product, c.lot, c.volume_ml, i.points, i.n, i.zone_id)
        for i in existing
        for c in i.components.all()
    ]
    items += [
        PlannedProduct(lot.product, lot, c.volume_ml, data.points, n, data.zone)
        for lot, c in zip(lots, data.components, strict=True)
    ]
    result = require_safe(
        actor,
        session.patient,
        Moment.CHARTING,
        on=session_date(session),
        location=session.location,
        protocol=session.protocol,
        items=items,
        previous_sessions=previous_sessions(session),
        override_reason=data.override_reason or None,
        channel=channel,
    )
    injection = InjectionRecord(
        organization_id=actor.org_id,
        session=session,
        n=n,
        zone_id=data.zone,
        technique=data.technique,
        depth_mm=data.depth_mm,
        points=data.points,
        volume_per_point_ml=data.volume_per_point_ml,
        total_volume_ml=data.total_volume_ml,
        needle_kind=data.needle_kind,
        needle_gauge=data.needle_gauge,
        needle_length_mm=data.needle_length_mm,
        out_of_range_reason=data.out_of_range_reason.strip() if errors else "",
        safety_override_reason=(data.override_reason or "") if result.override else "",
        safety_findings=result.findings,
        created_by=actor.user,
    )
    # Its constraints (number ≥ 1, volume > 0) hold by construction and `_validate`.
    full_clean_or_invalid(
        injection, exclude=["organization", "session", "zone", "created_by"], constraints=False
    )
    injection.save()
    for lot, c in zip(lots, data.components, strict=True):
        component = CocktailComponent.objects.create(
            organization_id=actor.org_id, injection=injection, lot=lot, volume_ml=c.volume_ml
        )
        apply_movement(
            actor,
            lot,
            MovementKind.USE,
            -c.volume_ml,
            reason=f"session {session.pk} injection #{n}",
            component=component,
        )
    record(
        actor,
        AuditAction.CREATE,
        injection,
        patient_id=session.patient_id,
        summary=f"charted injection #{n} ({data.zone}) in session {session.pk}",
        changes={
            "zone": data.zone,
            "total_volume_ml": data.total_volume_ml,
            "components": [[c.lot, str(c.volume_ml)] for c in data.components],
            "out_of_range": [e["field"] for e in errors],
        },
        channel=channel,
    )
    return injection


@transaction.atomic
def delete_injection(
    actor: Actor, session: TreatmentSession, n: int, *, channel: str = "api"
) -> None:
    """Remove an injection of an unsigned session and put its volumes back on the lots."""
    actor.require(Perm.CLINICAL_EDIT)
    session = lock_unsigned(session)
    injection = (
        InjectionRecord.objects.filter(session=session, n=n)
        .prefetch_related(models.Prefetch("components", queryset=components_queryset()))
        .first()
    )
    if injection is None:
        raise NotFound("not_found", _("The session has no injection #%s.") % n)
    for component in injection.components.all():
        apply_movement(
            actor,
            component.lot,
            MovementKind.USE,
            component.volume_ml,
            reason=f"session {session.pk} injection #{n} deleted",
            component=component,
        )
    snapshot = {
        "zone": injection.zone_id,
        "total_volume_ml": injection.total_volume_ml,
        "components": [[c.lot_id, str(c.volume_ml)] for c in injection.components.all()],
    }
    injection.delete()
    record(
        actor,
        AuditAction.DELETE,
        object_type="charting.injectionrecord",
        object_id=str(n),
        patient_id=session.patient_id,
        summary=f"deleted injection #{n} of session {session.pk}",
        changes=snapshot,
        channel=channel,
    )


@transaction.atomic
def add_side_effect(
    actor: Actor,
    session: TreatmentSession,
    *,
    kind: str,
    grade: int,
    onset: dt.datetime | None = None,
    action_taken: str = "",
    source: str = SideEffectSource.STAFF,
    notes: str = "",
    channel: str = "api",
) -> SideEffect:
    """Record a side effect. Appending one to a signed session is allowed (a late reaction
    is a new observation, not a change of the record) and is flagged as such."""
    actor.require(Perm.CLINICAL_EDIT)
    locked = TreatmentSession.objects.select_for_update().get(pk=session.pk)
    effect = SideEffect(
        organization_id=actor.org_id,
        session=locked,
        kind=kind,
        grade=grade,
        onset=onset or timezone.now(),
        action_taken=action_taken,
        source=source,
        notes=notes,
        recorded_after_signing=locked.signed_at is not None,
        recorded_by=actor.user,
    )
    full_clean_or_invalid(effect, exclude=["organization", "session", "recorded_by"])
    effect.save()
    record(
        actor,
        AuditAction.CREATE,
        effect,
        patient_id=locked.patient_id,
        summary=f"side effect {kind} grade {grade} in session {locked.pk}",
        channel=channel,
    )
    return effect


@dataclass(frozen=True)
class ReportedEffect:
    kind: str
    grade: int
    notes: str = ""


@transaction.atomic
def record_patient_reported_side_effects(
    session: TreatmentSession,
    effects: list[ReportedEffect],
    *,
    onset: dt.datetime,
    channel: str = "portal",
) -> list[SideEffect]:
    """Side effects the patient reported after the session (a check-in or the portal),
    appended to the session with source "patient" and audited as the patient's."""
    written = []
    for effect in effects:
        row = SideEffect.objects.create(
            organization_id=session.organization_id,
            session=session,
            kind=effect.kind,
            grade=effect.grade,
            onset=onset,
            source=SideEffectSource.PATIENT,
            notes=effect.notes,
            recorded_after_signing=session.signed_at is not None,
        )
        record_by_patient(
            session.organization_id,
            AuditAction.CREATE,
            row,
            patient_id=session.patient_id,
            summary=f"patient reported {effect.kind} grade {effect.grade}, session {session.pk}",
            channel=channel,
        )
        written.append(row)
    return written


def last_injection_for_zone(
    actor: Actor, session: TreatmentSession, zone: str
) -> InjectionRecord | None:
    """The patient's most recent injection in `zone` from an earlier session ("same as last
    time"), with its components' lots and products."""
    actor.require(Perm.CLINICAL_VIEW)
    return (
        InjectionRecord.objects.for_org(actor.org_id)
        .filter(session__patient_id=session.patient_id, zone_id=zone)
        .exclude(session_id=session.pk)
        .filter(session__started_at__lte=session.started_at)
        .select_related("session")
        .prefetch_related(
            models.Prefetch(
                "components", queryset=CocktailComponent.objects.select_related("lot__product")
            )
        )
        .order_by("-session__started_at", "-n")
        .first()
    )


def usable_lots(actor: Actor, session: TreatmentSession) -> list[ProductLot]:
    """The lots the session may draw from (one query): at its location, not recalled, not
    expired on the session's day and with stock; by product name, then first to expire."""
    return list(
        ProductLot.objects.for_org(actor.org_id)
        .filter(
            location_id=session.location_id,
            recalled=False,
            on_hand_ml__gt=0,
            expiry__gte=session_date(session),
        )
        .select_related("product")
        .order_by("product__name", "expiry", "id")
    )


def _pick_lot(
    lots: list[ProductLot], product_id: int, prefer: int | None = None
) -> ProductLot | None:
    """`prefer` when it is among the usable `lots`, else the product's first to expire."""
    candidates = [lot for lot in lots if lot.product_id == product_id]
    for lot in candidates:
        if lot.pk == prefer:
            return lot
    return min(candidates, key=lambda lot: (lot.expiry, lot.pk), default=None)


def suggest_injection(
    actor: Actor, session: TreatmentSession, zone: str, lots: list[ProductLot] | None = None
) -> dict[str, Any]:
    """Prefill for the injection form: the last injection in this zone when there is one
    ("same as last time", with the same lot if still usable, else a FEFO lot of the same
    product), else the protocol's values and products. `lots` are the session's usable lots
    when the caller has them already (`usable_lots`)."""
    lots = usable_lots(actor, session) if lots is None else lots
    last = last_injection_for_zone(actor, session, zone)
    if last is not None:
        components = []
        for c in last.components.all():
            lot = _pick_lot(lots, c.lot.product_id, prefer=c.lot_id)
            components.append(
                {
                    "product": c.lot.product_id,
                    "product_name": c.lot.product.name,
                    "lot": lot.pk if lot else None,
                    "lot_number": lot.lot_number if lot else "",
                    "volume_ml": str(c.volume_ml),
                }
            )
        return {
            "source": "last_time",
            "from_session": last.session_id,
            "zone": zone,
            "technique": last.technique,
            "depth_mm": str(last.depth_mm),
            "points": last.points,
            "volume_per_point_ml": str(last.volume_per_point_ml or ""),
            "total_volume_ml": str(last.total_volume_ml),
            "needle_kind": last.needle_kind,
            "needle_gauge": last.needle_gauge,
            "needle_length_mm": str(last.needle_length_mm or ""),
            "components": components,
        }
    ranges = protocol_ranges(session)
    components = []
    if session.protocol is not None:
        for link in session.protocol.product_links.select_related("product"):
            lot = _pick_lot(lots, link.product_id)
            components.append(
                {
                    "product": link.product_id,
                    "product_name": link.product.name,
                    "lot": lot.pk if lot else None,
                    "lot_number": lot.lot_number if lot else "",
                    "volume_ml": "",
                }
            )
    return {
        "source": "protocol" if ranges else "blank",
        "from_session": None,
        "zone": zone,
        "technique": ranges.technique if ranges else "",
        "depth_mm": str(ranges.depth_mm_min) if ranges else "",
        "points": None,
        "volume_per_point_ml": str(ranges.volume_per_point_ml_min) if ranges else "",
        "total_volume_ml": "",
        "needle_kind": NeedleKind.NEEDLE,
        "needle_gauge": None,
        "needle_length_mm": "",
        "components": components,
    }
